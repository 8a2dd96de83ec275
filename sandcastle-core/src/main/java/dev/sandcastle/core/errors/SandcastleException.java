package dev.sandcastle.core.errors;

/**
 * Base of every error Sandcastle reports to a client. Unchecked; each subclass says what went
 * wrong in words a user can act on, and the API maps each kind to one HTTP status in one place.
 * Messages must never carry host paths, secrets or stack traces.
 */
public abstract sealed class SandcastleException extends RuntimeException
    permits BadRequest, NotFound, Conflict, PathOutsideWorkspace, QuotaExceeded,
        UnsupportedMedia, PayloadTooLarge, Unavailable, Unauthorized, Forbidden, InsufficientStorage {

  protected SandcastleException(String message) {
    super(message, null, false, false);
  }

  protected SandcastleException(String message, Throwable cause) {
    super(message, cause, false, false);
  }

  /** A short machine-readable kind, used as the problem type's last segment. */
  public abstract String kind();
}
