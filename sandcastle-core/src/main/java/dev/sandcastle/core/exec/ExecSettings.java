package dev.sandcastle.core.exec;

import java.time.Duration;

/**
 * Limits of the command service.
 *
 * @param defaultTimeout wall-clock limit for commands that name none; zero for none (as upstream)
 * @param retention how long a finished command and its log are kept
 * @param maxFinished at most this many finished commands are kept; the oldest go first
 * @param maxRunning at most this many commands run at once
 * @param memoryCap characters of output held in memory per command (older output is dropped)
 * @param diskCap bytes of log file per command before it rotates (one older part is kept)
 */
public record ExecSettings(
    Duration defaultTimeout, Duration retention, int maxFinished, int maxRunning, long memoryCap, long diskCap) {
  public ExecSettings {
    if (defaultTimeout.isNegative() || retention.isNegative() || maxFinished < 1 || maxRunning < 1
        || memoryCap < 1024 || diskCap < 1024) {
      throw new IllegalArgumentException("invalid command settings");
    }
  }

  public static ExecSettings defaults() {
    return new ExecSettings(Duration.ZERO, Duration.ofHours(1), 500, 256, 1 << 20, 16L << 20);
  }
}
