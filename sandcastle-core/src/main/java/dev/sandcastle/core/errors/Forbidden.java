package dev.sandcastle.core.errors;

/** The caller is known but may not do this, e.g. a token for one user asking for another's workspace (HTTP 403). */
public final class Forbidden extends SandcastleException {
  public Forbidden(String message) {
    super(message);
  }

  @Override
  public String kind() {
    return "forbidden";
  }
}
