package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import java.util.OptionalInt;

/** Validation of 1-based inclusive line ranges. */
final class LineRange {
  private LineRange() {}

  static void check(OptionalInt startLine, OptionalInt endLine) {
    if (startLine.isPresent() && startLine.getAsInt() < 1) {
      throw new BadRequest("start_line must be 1 or more, got " + startLine.getAsInt());
    }
    if (endLine.isPresent() && endLine.getAsInt() < 1) {
      throw new BadRequest("end_line must be 1 or more, got " + endLine.getAsInt());
    }
    if (startLine.isPresent()
        && endLine.isPresent()
        && endLine.getAsInt() < startLine.getAsInt()) {
      throw new BadRequest(
          "end_line ("
              + endLine.getAsInt()
              + ") must not be before start_line ("
              + startLine.getAsInt()
              + ")");
    }
  }
}
