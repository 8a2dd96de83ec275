package dev.sandcastle.core.exec;

/**
 * One chunk of a process's output.
 *
 * @param type {@code stdout}, {@code stderr}, or {@code output} (a terminal's merged stream)
 * @param data the text, decoded as UTF-8 (invalid bytes become U+FFFD)
 */
public record OutputEntry(String type, String data) {}
