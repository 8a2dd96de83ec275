package dev.sandcastle.core.files;

/** Small helpers for error messages: user text is quoted, shortened and made printable. */
final class Messages {
  private Messages() {}

  static String quote(String text) {
    return "'" + shorten(text, 200) + "'";
  }

  static String shorten(String text, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (out.length() >= max && text.length() > max) {
      out.setLength(max);
      out.append("...");
    }
    return out.toString();
  }
}
