package dev.sandcastle.core.pty;

/**
 * How a terminal's shell ended.
 *
 * @param exitCode its exit status, or 128 + signal number when a signal ended it
 * @param signal the signal that ended it, 0 if none (1, SIGHUP, when the terminal was closed)
 */
public record TerminalEnd(int exitCode, int signal) {}
