package dev.sandcastle.core.files;

import java.util.List;
import java.util.Objects;

/**
 * Grep matches in file order.
 *
 * @param path the searched path as a view path
 * @param truncated true when more matches exist than were returned, or the search stopped early
 *     (time or tree-size budget)
 */
public record GrepResult(String query, String path, List<GrepMatch> matches, boolean truncated) {
  public GrepResult {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(path, "path");
    matches = List.copyOf(matches);
  }
}
