package dev.sandcastle.core.files;

import java.util.Objects;

/**
 * An entry whose path matched a glob.
 *
 * @param path the entry's view path
 * @param modified last modification time, ISO-8601 in UTC
 */
public record GlobMatch(String path, FileType type, long size, String modified) {
  public GlobMatch {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(modified, "modified");
  }
}
