package dev.sandcastle.core.pty;

import java.time.Duration;

/**
 * Limits of a workspace's interactive terminals.
 *
 * @param maxSessions at most this many terminals are open at once; more are refused (HTTP 429)
 * @param grace how long a terminal with no client attached lives on, waiting for a reconnect
 * @param scrollbackBytes recent output kept per terminal, replayed to a client that attaches; it
 *     also bounds what a client may lag behind before it skips ahead
 */
public record TerminalSettings(int maxSessions, Duration grace, int scrollbackBytes) {
  public static final int MIN_SCROLLBACK = 4 << 10;
  public static final int MAX_SCROLLBACK = 64 << 20;

  public TerminalSettings {
    if (maxSessions < 1) {
      throw new IllegalArgumentException("at least one terminal must be allowed");
    }
    if (grace.isNegative()) {
      throw new IllegalArgumentException("the grace period must not be negative");
    }
    if (scrollbackBytes < MIN_SCROLLBACK || scrollbackBytes > MAX_SCROLLBACK) {
      throw new IllegalArgumentException("the scrollback must be between 4 KiB and 64 MiB");
    }
  }

  /** 16 terminals (as upstream), 10 minutes of grace, 256 KiB of scrollback each. */
  public static TerminalSettings defaults() {
    return new TerminalSettings(16, Duration.ofMinutes(10), 256 << 10);
  }

  /**
   * Output the supervisor may send ahead of what the fastest attached client has taken. Half the
   * scrollback, so the fastest client never falls out of the ring; at most 1 MiB, which is enough
   * to keep a local link busy.
   */
  int window() {
    return Math.min(scrollbackBytes / 2, 1 << 20);
  }
}
