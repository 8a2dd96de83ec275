package dev.sandcastle.core.files;

import java.util.Objects;

/** Answer to "display this file": the view path and whether a regular file exists there. */
public record Display(String path, boolean exists) {
  public Display {
    Objects.requireNonNull(path, "path");
  }
}
