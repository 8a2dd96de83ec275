package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandcastle.core.errors.BadRequest;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A search by name.
 *
 * @param pattern a glob relative to {@code path}: {@code *} and {@code ?} stay within one name,
 *     {@code **} spans directories ({@code **}{@code /} also matches no directory at all), {@code
 *     [abc]}, {@code [!abc]} and {@code {a,b}} work as usual. A pattern without {@code /} is also
 *     tried against the bare name of entries at every depth, so {@code *.py} finds all Python
 *     files, like Open Terminal's glob_search.
 * @param path the directory to search
 * @param cwd the directory relative paths start from; empty means home
 * @param exclude glob patterns; an entry whose name or relative path matches one is skipped, and a
 *     matching directory is not descended into
 * @param type "file", "directory" or "any" (any also reports symbolic links, as type symlink)
 * @param maxResults at most this many matches (further capped by {@link FileLimits})
 */
public record GlobQuery(
    String pattern,
    String path,
    String cwd,
    List<String> exclude,
    String type,
    @JsonProperty("max_results") int maxResults) {
  private static final Set<String> TYPES = Set.of("file", "directory", "any");

  public GlobQuery {
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(cwd, "cwd");
    Objects.requireNonNull(type, "type");
    exclude = List.copyOf(exclude);
    if (pattern.isEmpty()) {
      throw new BadRequest("The glob pattern must not be empty");
    }
    if (!TYPES.contains(type)) {
      throw new BadRequest("type must be file, directory or any, got '" + type + "'");
    }
    if (maxResults < 1) {
      throw new BadRequest("max_results must be 1 or more, got " + maxResults);
    }
  }
}
