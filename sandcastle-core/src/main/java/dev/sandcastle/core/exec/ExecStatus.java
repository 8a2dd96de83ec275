package dev.sandcastle.core.exec;

import java.util.Locale;

/** The life of a command. Only {@code RUNNING} can change. */
public enum ExecStatus {
  RUNNING,
  /** Ended by itself; see the exit code. */
  DONE,
  /** Ended by a kill request. */
  KILLED,
  /** Ended because its wall-clock timeout passed. */
  TIMED_OUT,
  /** Ended by the kernel because the workspace ran out of memory. */
  OOM;

  /** The wire name: {@code running}, {@code done}, {@code killed}, {@code timed_out}, {@code oom}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
