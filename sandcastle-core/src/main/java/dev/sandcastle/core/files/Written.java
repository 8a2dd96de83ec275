package dev.sandcastle.core.files;

import java.util.Objects;

/** A file was written: its view path and its new size in bytes. */
public record Written(String path, long size) {
  public Written {
    Objects.requireNonNull(path, "path");
  }
}
