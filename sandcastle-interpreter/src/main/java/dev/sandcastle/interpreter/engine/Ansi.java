package dev.sandcastle.interpreter.engine;

import java.util.regex.Pattern;

/** Removes ANSI escape sequences (colours, cursor moves, OSC titles and links) from text. */
final class Ansi {
  private static final Pattern ESCAPES = Pattern.compile(
      "\u001B\\[[0-?]*[ -/]*[@-~]|\u001B\\][^\u0007\u001B]*(?:\u0007|\u001B\\\\)|\u001B[@-Z\\\\-_]");

  private Ansi() {}

  static String strip(String text) {
    return text.indexOf('\u001B') < 0 ? text : ESCAPES.matcher(text).replaceAll("");
  }
}
