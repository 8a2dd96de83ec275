package dev.sandcastle.core.errors;

/** A workspace limit was reached: processes, sessions, sizes (HTTP 429). */
public final class QuotaExceeded extends SandcastleException {
  public QuotaExceeded(String message) {
    super(message);
  }

  public QuotaExceeded(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "quota-exceeded";
  }
}
