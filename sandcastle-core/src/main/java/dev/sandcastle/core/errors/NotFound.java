package dev.sandcastle.core.errors;

/** The named process, file or session does not exist (HTTP 404). */
public final class NotFound extends SandcastleException {
  public NotFound(String message) {
    super(message);
  }

  public NotFound(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "not-found";
  }
}
