package dev.sandcastle.core.files;

import java.nio.file.attribute.FileTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Modification times on the wire: ISO-8601, UTC, whole seconds. */
final class Times {
  private Times() {}

  /** The time of things that have none of their own (directories the sandbox makes for itself). */
  static final String EPOCH = "1970-01-01T00:00:00Z";

  static String iso(FileTime time) {
    return DateTimeFormatter.ISO_INSTANT.format(time.toInstant().truncatedTo(ChronoUnit.SECONDS));
  }
}
