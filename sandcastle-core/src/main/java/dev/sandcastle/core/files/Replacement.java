package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandcastle.core.errors.BadRequest;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One exact-string replacement.
 *
 * @param target the exact text to find (not a regex); must not be empty
 * @param replacement what replaces it
 * @param startLine restrict the search to lines at or after this one (1-based)
 * @param endLine restrict the search to lines at or before this one (1-based, inclusive)
 * @param allowMultiple replace every occurrence; otherwise more than one occurrence is an error
 */
public record Replacement(
    String target,
    String replacement,
    @JsonProperty("start_line") OptionalInt startLine,
    @JsonProperty("end_line") OptionalInt endLine,
    @JsonProperty("allow_multiple") boolean allowMultiple) {
  public Replacement {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(replacement, "replacement");
    Objects.requireNonNull(startLine, "startLine");
    Objects.requireNonNull(endLine, "endLine");
    if (target.isEmpty()) {
      throw new BadRequest("A replacement target must not be empty");
    }
    LineRange.check(startLine, endLine);
  }

  /** A replacement of exactly one occurrence anywhere in the file. */
  public static Replacement of(String target, String replacement) {
    return new Replacement(target, replacement, OptionalInt.empty(), OptionalInt.empty(), false);
  }
}
