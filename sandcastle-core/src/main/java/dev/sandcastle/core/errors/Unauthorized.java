package dev.sandcastle.core.errors;

/** The caller did not prove who it is: no credentials, or credentials that do not verify (HTTP 401). */
public final class Unauthorized extends SandcastleException {
  public Unauthorized(String message) {
    super(message);
  }

  @Override
  public String kind() {
    return "unauthorized";
  }
}
