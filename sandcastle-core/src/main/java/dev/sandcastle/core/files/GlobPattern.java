package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import java.util.regex.Pattern;

/**
 * A glob compiled to a regular expression over '/'-separated relative paths. {@code *} and
 * {@code ?} do not cross '/'; {@code **} does, and a {@code **}{@code /} segment also matches no
 * directory at all; {@code [abc]}, {@code [!abc]} or {@code [^abc]}, {@code {a,b}} and {@code \}
 * escapes work as in shells. Case-sensitive; {@code *} matches names starting with a dot.
 */
final class GlobPattern {
  private final String glob;
  private final Pattern regex;
  private final boolean hasSlash;

  private GlobPattern(String glob, Pattern regex) {
    this.glob = glob;
    this.regex = regex;
    this.hasSlash = glob.indexOf('/') >= 0;
  }

  static GlobPattern compile(String glob) {
    if (glob.isEmpty()) {
      throw new BadRequest("A glob pattern must not be empty");
    }
    return new GlobPattern(glob, Pattern.compile(toRegex(glob), Pattern.DOTALL));
  }

  /** Whether the relative path matches, or (for a pattern without '/') the bare name does. */
  boolean matches(String relative, String name) {
    return regex.matcher(relative).matches() || (!hasSlash && regex.matcher(name).matches());
  }

  @Override
  public String toString() {
    return glob;
  }

  static String toRegex(String glob) {
    StringBuilder re = new StringBuilder();
    int braces = 0;
    int n = glob.length();
    int i = 0;
    while (i < n) {
      char c = glob.charAt(i);
      switch (c) {
        case '*' -> {
          if (i + 1 < n && glob.charAt(i + 1) == '*') {
            boolean segmentStart = i == 0 || glob.charAt(i - 1) == '/';
            if (segmentStart && i + 2 < n && glob.charAt(i + 2) == '/') {
              re.append("(?:[^/]*/)*");
              i += 3;
            } else {
              re.append(".*");
              i += 2;
            }
          } else {
            re.append("[^/]*");
            i++;
          }
        }
        case '?' -> {
          re.append("[^/]");
          i++;
        }
        case '[' -> i = characterClass(glob, i, re);
        case '{' -> {
          braces++;
          re.append("(?:");
          i++;
        }
        case '}' -> {
          if (braces > 0) {
            braces--;
            re.append(')');
          } else {
            re.append("\\}");
          }
          i++;
        }
        case ',' -> {
          re.append(braces > 0 ? "|" : ",");
          i++;
        }
        case '\\' -> {
          if (i + 1 < n) {
            literal(glob.charAt(i + 1), re);
            i += 2;
          } else {
            literal('\\', re);
            i++;
          }
        }
        default -> {
          literal(c, re);
          i++;
        }
      }
    }
    if (braces > 0) {
      throw new BadRequest("Invalid glob " + Messages.quote(glob) + ": unclosed '{'");
    }
    return re.toString();
  }

  private static int characterClass(String glob, int open, StringBuilder re) {
    int n = glob.length();
    int j = open + 1;
    boolean negate = j < n && (glob.charAt(j) == '!' || glob.charAt(j) == '^');
    if (negate) {
      j++;
    }
    StringBuilder chars = new StringBuilder();
    boolean first = true;
    while (j < n && (glob.charAt(j) != ']' || first)) {
      char c = glob.charAt(j);
      if (c == '-' && !first && j + 1 < n && glob.charAt(j + 1) != ']') {
        chars.append('-');
      } else if (c == '/') {
        // a class never matches the separator
      } else {
        literal(c, chars);
      }
      first = false;
      j++;
    }
    if (j >= n) {
      throw new BadRequest("Invalid glob " + Messages.quote(glob) + ": unclosed '['");
    }
    if (chars.isEmpty()) {
      re.append(negate ? "[^/]" : "(?!)");
    } else {
      re.append(negate ? "[^/" : "[").append(chars).append(']');
    }
    return j + 1;
  }

  private static void literal(char c, StringBuilder out) {
    if (c >= 128 || Character.isLetterOrDigit(c) || c == '/' || c == '_' || c == ' ') {
      out.append(c);
    } else {
      out.append('\\').append(c);
    }
  }
}
