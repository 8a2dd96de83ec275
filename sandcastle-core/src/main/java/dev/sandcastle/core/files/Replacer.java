package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import java.util.ArrayList;
import java.util.List;

/** Applies exact-string replacements in order; pure, no I/O. */
final class Replacer {
  private Replacer() {}

  static String apply(String content, List<Replacement> replacements, String view) {
    if (replacements.isEmpty()) {
      throw new BadRequest("No replacements given");
    }
    String text = content;
    for (int i = 0; i < replacements.size(); i++) {
      Replacement r = replacements.get(i);
      String which =
          replacements.size() == 1 ? "" : "Replacement " + (i + 1) + " of " + replacements.size() + ": ";
      boolean ranged = r.startLine().isPresent() || r.endLine().isPresent();
      int from = 0;
      int to = text.length();
      String where = view;
      if (ranged) {
        int first = r.startLine().orElse(1);
        int last = r.endLine().orElse(Integer.MAX_VALUE);
        int lines = countLines(text);
        if (first > lines) {
          throw new BadRequest(
              which + "start_line " + first + " is past the end of " + view + " (" + lines + " lines)");
        }
        from = lineStart(text, first);
        to = last >= lines ? text.length() : lineStart(text, last + 1);
        where = "lines " + first + "-" + Math.min(last, lines) + " of " + view;
      }
      List<Integer> hits = occurrences(text, r.target(), from, to);
      if (hits.isEmpty()) {
        throw new BadRequest(
            which
                + "Target not found in "
                + where
                + ": "
                + Messages.quote(r.target())
                + ". It must match exactly, including whitespace and indentation.");
      }
      if (hits.size() > 1 && !r.allowMultiple()) {
        throw new BadRequest(
            which
                + "Target found "
                + hits.size()
                + " times in "
                + where
                + ": "
                + Messages.quote(r.target())
                + ". Include more surrounding text to make it unique, narrow the search with"
                + " start_line/end_line, or set allow_multiple to replace every occurrence.");
      }
      StringBuilder out =
          new StringBuilder(text.length() + hits.size() * Math.max(0, r.replacement().length() - r.target().length()));
      int position = 0;
      for (int hit : hits) {
        out.append(text, position, hit).append(r.replacement());
        position = hit + r.target().length();
      }
      out.append(text, position, text.length());
      text = out.toString();
    }
    return text;
  }

  private static List<Integer> occurrences(String text, String target, int from, int to) {
    List<Integer> hits = new ArrayList<>();
    int index = text.indexOf(target, from);
    while (index >= 0 && index + target.length() <= to) {
      hits.add(index);
      index = text.indexOf(target, index + target.length());
    }
    return hits;
  }

  static int countLines(String text) {
    int lines = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        lines++;
      }
    }
    return text.isEmpty() || text.charAt(text.length() - 1) == '\n' ? lines : lines + 1;
  }

  /** Offset where 1-based {@code line} starts; text length if past the end. */
  private static int lineStart(String text, int line) {
    int offset = 0;
    for (int current = 1; current < line; current++) {
      int newline = text.indexOf('\n', offset);
      if (newline < 0) {
        return text.length();
      }
      offset = newline + 1;
    }
    return offset;
  }
}
