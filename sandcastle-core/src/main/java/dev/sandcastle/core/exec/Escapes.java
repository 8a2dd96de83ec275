package dev.sandcastle.core.exec;

import dev.sandcastle.core.errors.BadRequest;

/**
 * Decodes the escape sequences a model writes when it sends keystrokes as text: {@code \n},
 * {@code \r}, {@code \t}, {@code \e}, {@code \\}, {@code \xHH}, {@code \}{@code uHHHH}, and caret
 * notation is left alone. Anything else after a backslash is kept as written.
 */
public final class Escapes {
  private Escapes() {}

  public static String decode(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\' || i + 1 == text.length()) {
        out.append(c);
        continue;
      }
      char next = text.charAt(i + 1);
      switch (next) {
        case 'n' -> { out.append('\n'); i++; }
        case 'r' -> { out.append('\r'); i++; }
        case 't' -> { out.append('\t'); i++; }
        case 'e' -> { out.append('\u001b'); i++; }
        case '\\' -> { out.append('\\'); i++; }
        case 'x' -> i = hex(text, i, 2, out);
        case 'u' -> i = hex(text, i, 4, out);
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** Appends the character of {@code digits} hex digits after index i+1; returns the last index used. */
  private static int hex(String text, int i, int digits, StringBuilder out) {
    int start = i + 2;
    if (start + digits > text.length()) {
      out.append('\\');
      return i;
    }
    try {
      out.append((char) Integer.parseInt(text.substring(start, start + digits), 16));
      return start + digits - 1;
    } catch (NumberFormatException e) {
      throw new BadRequest("invalid escape sequence \\" + text.substring(i + 1, start + digits));
    }
  }
}
