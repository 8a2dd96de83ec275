package dev.sandcastle.core.sandbox;

/**
 * How to start a process on a pseudo-terminal.
 *
 * @param cols initial width in character cells
 * @param rows initial height in character cells
 * @param window bytes of output the supervisor sends before it waits for an acknowledgement; 0
 *     for no flow control
 */
public record TerminalOptions(int cols, int rows, int window) {
  public TerminalOptions {
    if (cols < 1 || cols > 0xFFFF || rows < 1 || rows > 0xFFFF) {
      throw new IllegalArgumentException("terminal size out of range: " + cols + "x" + rows);
    }
    if (window < 0) {
      throw new IllegalArgumentException("window must not be negative");
    }
  }
}
