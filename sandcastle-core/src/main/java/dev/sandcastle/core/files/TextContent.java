package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A text file, or the requested lines of it.
 *
 * @param totalLines number of lines in the whole file (a final line without a newline counts)
 * @param content the selected lines with their line endings, UTF-8 decoded
 */
public record TextContent(
    String path, @JsonProperty("total_lines") int totalLines, String content)
    implements FileContent {
  public TextContent {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    if (totalLines < 0) {
      throw new IllegalArgumentException("totalLines < 0");
    }
  }
}
