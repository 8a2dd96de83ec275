package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.PayloadTooLarge;
import java.io.IOException;
import java.io.Reader;

/** Line handling: lines end with '\n' (so "\r\n" too); a last line without one still counts. */
final class Text {
  private Text() {}

  /** Some lines of a text and how many lines it has in all. */
  record Slice(int totalLines, String content) {}

  /**
   * Streams {@code in}, keeping lines {@code first..last} (1-based, inclusive) with their line
   * endings and counting all lines. Only the kept lines are held in memory.
   *
   * @throws PayloadTooLarge if the kept lines exceed {@code maxChars}
   */
  static Slice slice(Reader in, long first, long last, long maxChars, String view)
      throws IOException {
    StringBuilder out = new StringBuilder();
    char[] buffer = new char[16 * 1024];
    long line = 1;
    boolean partial = false;
    int n;
    while ((n = in.read(buffer)) != -1) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (buffer[i] == '\n') {
          if (line >= first && line <= last) {
            out.append(buffer, start, i + 1 - start);
          }
          start = i + 1;
          line++;
          partial = false;
        } else {
          partial = true;
        }
      }
      if (line >= first && line <= last) {
        out.append(buffer, start, n - start);
      }
      if (out.length() > maxChars) {
        throw new PayloadTooLarge(
            "The requested lines of "
                + view
                + " are larger than "
                + maxChars
                + " bytes; ask for fewer lines");
      }
    }
    long total = partial ? line : line - 1;
    return new Slice((int) Math.min(total, Integer.MAX_VALUE), out.toString());
  }

  /** Removes one trailing "\n" or "\r\n". */
  static String stripLineEnding(String line) {
    int end = line.length();
    if (end > 0 && line.charAt(end - 1) == '\n') {
      end--;
      if (end > 0 && line.charAt(end - 1) == '\r') {
        end--;
      }
    }
    return line.substring(0, end);
  }
}
