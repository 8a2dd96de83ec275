package dev.sandcastle.core.pty;

import java.nio.ByteBuffer;

/**
 * One client attached to a terminal (a WebSocket, say): where the terminal's output goes.
 *
 * <p>Contract: {@link #send} is called for one chunk at a time (the next only after the previous
 * one completed), in output order, from whichever thread made progress: the supervisor's reader
 * thread, or the thread that completed the previous send. It must never block: a client that
 * blocks stalls every terminal and command of the workspace. {@link #ended} is called once, after
 * the last output, and nothing follows it.
 */
public interface TerminalClient {

  /**
   * Starts sending a chunk of output and returns at once. Exactly one of the callbacks runs once
   * the chunk went out or could not (on any thread, possibly this one before {@code send}
   * returns). The buffer is the client's to keep.
   */
  void send(ByteBuffer output, Runnable sent, Runnable failed);

  /** The terminal is gone: its shell exited (or was killed), and all its output was sent. */
  void ended(TerminalEnd end);
}
