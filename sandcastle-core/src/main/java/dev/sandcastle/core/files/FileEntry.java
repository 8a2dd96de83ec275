package dev.sandcastle.core.files;

import java.util.Objects;

/**
 * One entry of a directory listing. Symbolic links are reported as such, never followed.
 *
 * @param modified last modification time, ISO-8601 in UTC, e.g. {@code 2025-01-31T12:00:00Z}
 */
public record FileEntry(String name, FileType type, long size, String modified) {
  public FileEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(modified, "modified");
  }
}
