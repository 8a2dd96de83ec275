package dev.sandcastle.core.errors;

/** The file is binary and cannot be returned as text (HTTP 415). */
public final class UnsupportedMedia extends SandcastleException {
  public UnsupportedMedia(String message) {
    super(message);
  }

  public UnsupportedMedia(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "unsupported-media";
  }
}
