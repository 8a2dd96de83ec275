package dev.sandcastle.core.errors;

/** A path resolves outside the workspace, directly or through a symbolic link (HTTP 403). */
public final class PathOutsideWorkspace extends SandcastleException {
  public PathOutsideWorkspace(String message) {
    super(message);
  }

  public PathOutsideWorkspace(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String kind() {
    return "path-outside-workspace";
  }
}
