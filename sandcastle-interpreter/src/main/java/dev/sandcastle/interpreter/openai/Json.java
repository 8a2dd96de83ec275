package dev.sandcastle.interpreter.openai;

import tools.jackson.databind.json.JsonMapper;

/** The one JSON mapper of this package (thread-safe, compact output: one line per value). */
final class Json {
  static final JsonMapper MAPPER = JsonMapper.builder().build();

  private Json() {}
}
