package dev.sandcastle.core.sandbox;

/**
 * Receives the events of one process spawned by a {@link Supervisor}.
 *
 * <p>Contract: every method is called on the supervisor's single reader thread, in the order the
 * events happened, so implementations need no ordering logic of their own; they must return
 * quickly and never block (a slow listener stalls every process of the workspace). Sequence:
 * either {@code failed} alone, or {@code started}, any number of {@code output}, {@code exited},
 * then {@code closed} once the process's pipes are all at end of file (a background child holding
 * them open delays it). If the supervisor itself dies, a process that had not started gets
 * {@code failed}, and every live one gets {@code exited(137, 9)} and {@code closed()}, so a
 * listener always ends.
 */
public interface ChannelListener {

  /** The process runs; {@code pid} as the sandbox sees it. */
  default void started(long pid) {}

  /** The process could not be started: the reason in words, and the errno (11: process limit). */
  void failed(SpawnFailure failure);

  /** Output of the process; {@code stderr} tells the stream. The array is the listener's to keep. */
  void output(boolean stderr, byte[] data);

  /**
   * The process ended.
   *
   * @param code the exit status, or 128 + signal number when a signal ended it
   * @param signal the signal that ended it, 0 if none
   */
  void exited(int code, int signal);

  /** All of the process's output has been delivered. */
  default void closed() {}
}
