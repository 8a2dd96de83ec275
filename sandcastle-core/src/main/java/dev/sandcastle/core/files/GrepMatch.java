package dev.sandcastle.core.files;

import java.util.Objects;

/**
 * A matching line.
 *
 * @param file the file's view path
 * @param line 1-based line number
 * @param content the line without its line ending, cut to 500 characters
 */
public record GrepMatch(String file, int line, String content) {
  public GrepMatch {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(content, "content");
  }
}
