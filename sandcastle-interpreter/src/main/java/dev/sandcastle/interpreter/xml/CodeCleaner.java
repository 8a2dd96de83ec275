package dev.sandcastle.interpreter.xml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Cleans the code a model wrote between the tags: what the kernel should run, nothing more.
 *
 * <p>Steps: line ends normalised to {@code \n}; ANSI escape sequences removed (OSC strings, CSI
 * sequences, other escapes, stray ESC characters); blank lines around the code dropped; a leading
 * fence line ({@code ```} or more backticks, optionally with a language) and a trailing fence
 * (its own line, or backticks ending the last line) removed; indentation common to every non-blank
 * line removed, so that code the model indented as a whole still runs while relative indentation
 * is kept.
 */
final class CodeCleaner {
  private static final Pattern OSC = Pattern.compile("\u001B\\][^\u0007\u001B]*(?:\u0007|\u001B\\\\)");
  private static final Pattern CSI = Pattern.compile("(?:\u001B\\[|\u009B)[0-?]*[ -/]*[@-~]");
  private static final Pattern OTHER_ESCAPE = Pattern.compile("\u001B[ -/]*[0-~]|\u001B");
  private static final Pattern OPENING_FENCE = Pattern.compile("\\s*`{3,}\\s*[\\w+#.-]*\\s*");
  private static final Pattern CLOSING_FENCE = Pattern.compile("`{3,}\\s*$");

  private CodeCleaner() {
  }

  static String clean(String raw) {
    String text = raw.replace("\r\n", "\n").replace('\r', '\n');
    text = OSC.matcher(text).replaceAll("");
    text = CSI.matcher(text).replaceAll("");
    text = OTHER_ESCAPE.matcher(text).replaceAll("");

    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    trimBlankLines(lines);
    if (!lines.isEmpty() && OPENING_FENCE.matcher(lines.getFirst()).matches()) {
      lines.removeFirst();
      trimBlankLines(lines);
    }
    if (!lines.isEmpty()) {
      String last = lines.getLast();
      String stripped = CLOSING_FENCE.matcher(last).replaceFirst("");
      if (!stripped.equals(last)) {
        if (stripped.isBlank()) {
          lines.removeLast();
        } else {
          lines.set(lines.size() - 1, stripped);
        }
        trimBlankLines(lines);
      }
    }
    dedent(lines);
    return String.join("\n", lines).stripTrailing();
  }

  private static void trimBlankLines(List<String> lines) {
    while (!lines.isEmpty() && lines.getFirst().isBlank()) {
      lines.removeFirst();
    }
    while (!lines.isEmpty() && lines.getLast().isBlank()) {
      lines.removeLast();
    }
  }

  /** Removes the leading whitespace that every non-blank line shares. */
  private static void dedent(List<String> lines) {
    String common = null;
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      String indent = line.substring(0, line.length() - line.stripLeading().length());
      if (common == null) {
        common = indent;
      } else {
        int n = 0;
        while (n < common.length() && n < indent.length() && common.charAt(n) == indent.charAt(n)) {
          n++;
        }
        common = common.substring(0, n);
      }
      if (common.isEmpty()) {
        return;
      }
    }
    if (common == null) {
      return;
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      lines.set(i, line.startsWith(common) ? line.substring(common.length()) : line.stripLeading());
    }
  }
}
