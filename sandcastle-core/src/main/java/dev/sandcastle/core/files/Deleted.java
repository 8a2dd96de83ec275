package dev.sandcastle.core.files;

import java.util.Objects;

/** Something was deleted: its view path and what it was (a link is deleted, not its target). */
public record Deleted(String path, FileType type) {
  public Deleted {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
  }
}
