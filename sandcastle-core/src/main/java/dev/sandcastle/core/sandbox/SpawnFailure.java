package dev.sandcastle.core.sandbox;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;

/**
 * Why a process could not be started.
 *
 * @param error the reason in words
 * @param errno the system error number; 11 (EAGAIN) means the process limit is reached, and -1
 *     that the supervisor is gone
 */
public record SpawnFailure(String error, int errno) {
  static final int SUPERVISOR_GONE = -1;
  private static final int EAGAIN = 11;

  /** The error to report to a client. */
  public SandcastleException toException() {
    return switch (errno) {
      case EAGAIN -> new QuotaExceeded("the workspace's process limit is reached; kill some processes and retry");
      case SUPERVISOR_GONE -> new Unavailable("the workspace sandbox stopped; retry to start a fresh one");
      default -> new BadRequest("cannot start the process: " + error);
    };
  }
}
