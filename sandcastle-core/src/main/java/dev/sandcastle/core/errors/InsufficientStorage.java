package dev.sandcastle.core.errors;

/** The workspace's disk is full: its storage limit, or the disk under it (HTTP 507). */
public final class InsufficientStorage extends SandcastleException {
  public InsufficientStorage(String message) {
    super(message);
  }

  public InsufficientStorage(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "insufficient-storage";
  }
}
