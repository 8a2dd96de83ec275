package dev.sandcastle.core.errors;

/** The request or file is larger than the configured limit (HTTP 413). */
public final class PayloadTooLarge extends SandcastleException {
  public PayloadTooLarge(String message) {
    super(message);
  }

  public PayloadTooLarge(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "payload-too-large";
  }
}
