package dev.sandcastle.core.errors;

/** The request is malformed or names something invalid (HTTP 400). */
public final class BadRequest extends SandcastleException {
  public BadRequest(String message) {
    super(message);
  }

  public BadRequest(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "bad-request";
  }
}
