package dev.sandcastle.core.files;

import java.util.List;
import java.util.Objects;

/**
 * Glob matches in depth-first name order.
 *
 * @param path the searched directory as a view path
 * @param truncated true when more matches exist than were returned, or the walk stopped early
 */
public record GlobResult(String pattern, String path, List<GlobMatch> matches, boolean truncated) {
  public GlobResult {
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(path, "path");
    matches = List.copyOf(matches);
  }
}
