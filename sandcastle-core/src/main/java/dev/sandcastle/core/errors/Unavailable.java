package dev.sandcastle.core.errors;

/** The workspace cannot serve the request right now, e.g. its sandbox failed to start (HTTP 503). */
public final class Unavailable extends SandcastleException {
  public Unavailable(String message) {
    super(message);
  }

  public Unavailable(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "unavailable";
  }
}
