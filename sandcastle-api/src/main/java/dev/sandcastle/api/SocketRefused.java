package dev.sandcastle.api;

/**
 * A WebSocket that may not proceed, and the close code to tell its client why: 4001 failed
 * authentication, 4002 missing user id, 4003 identity mismatch or workspace unreachable, 4004 bad
 * policy, context or unknown resource (the Terminals orchestrator's codes).
 */
public final class SocketRefused extends RuntimeException {
  public static final int AUTH = 4001;
  public static final int MISSING_USER = 4002;
  public static final int IDENTITY = 4003;
  public static final int NOT_FOUND = 4004;

  private final int code;

  public SocketRefused(int code, String reason) {
    super(reason, null, false, false);
    if (code < 4000 || code > 4999) {
      throw new IllegalArgumentException("application close codes are 4000-4999");
    }
    this.code = code;
  }

  public int code() {
    return code;
  }
}
