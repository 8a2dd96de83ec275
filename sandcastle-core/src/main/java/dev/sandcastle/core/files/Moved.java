package dev.sandcastle.core.files;

import java.util.Objects;

/** Something was renamed: both view paths. */
public record Moved(String source, String destination) {
  public Moved {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
  }
}
