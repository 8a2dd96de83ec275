package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandcastle.core.errors.BadRequest;
import java.util.List;
import java.util.Objects;

/**
 * A content search.
 *
 * @param query the text, or a Java regular expression when {@code regex}
 * @param path the directory (searched recursively) or single file to search
 * @param cwd the directory relative paths start from; empty means home
 * @param include glob patterns; when not empty, only files whose name (or path relative to
 *     {@code path}) matches one of them are searched
 * @param matchPerLine true: every matching line is a match; false: only the first matching line
 *     of each file is reported, so the result lists matching files
 * @param maxResults at most this many matches (further capped by {@link FileLimits})
 */
public record GrepQuery(
    String query,
    String path,
    String cwd,
    boolean regex,
    @JsonProperty("case_insensitive") boolean caseInsensitive,
    List<String> include,
    @JsonProperty("match_per_line") boolean matchPerLine,
    @JsonProperty("max_results") int maxResults) {
  public GrepQuery {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(cwd, "cwd");
    include = List.copyOf(include);
    if (query.isEmpty()) {
      throw new BadRequest("The search query must not be empty");
    }
    if (maxResults < 1) {
      throw new BadRequest("max_results must be 1 or more, got " + maxResults);
    }
  }
}
