package dev.sandcastle.core.errors;

/** The operation clashes with the current state, e.g. a destination exists (HTTP 409). */
public final class Conflict extends SandcastleException {
  public Conflict(String message) {
    super(message);
  }

  public Conflict(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "conflict";
  }
}
