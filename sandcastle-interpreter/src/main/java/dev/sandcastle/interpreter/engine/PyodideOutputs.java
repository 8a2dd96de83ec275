package dev.sandcastle.interpreter.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** The outputs a Pyodide page sends, read leniently: what cannot be understood is skipped. */
final class PyodideOutputs {
  private PyodideOutputs() {}

  /** The outputs of a {@code result} message (an array; anything else gives none). */
  static List<CodeOutput> parseAll(JsonNode outputs) {
    List<CodeOutput> parsed = new ArrayList<>();
    for (JsonNode output : outputs) {
      if (output.isObject()) {
        parse(output, output.path("type").asString(output.path("output_type").asString(""))).ifPresent(parsed::add);
      }
    }
    return parsed;
  }

  /** One output, whose kind is {@code kind}; empty when the kind is unknown. */
  static Optional<CodeOutput> parse(JsonNode output, String kind) {
    return switch (kind) {
      case "stream" -> Optional.of(new CodeOutput.Stream(
          output.path("name").asString("").equals(CodeOutput.Stream.STDERR) ? CodeOutput.Stream.STDERR : CodeOutput.Stream.STDOUT,
          text(output.path("text"))));
      case "display", "display_data" -> Optional.of(new CodeOutput.Display(Json.jsonBundle(output.path("data"))));
      case "result", "execute_result" -> Optional.of(new CodeOutput.Result(Json.jsonBundle(output.path("data"))));
      case "error" -> Optional.of(new CodeOutput.Error(
          output.path("name").asString(output.path("ename").asString("Error")),
          output.path("value").asString(output.path("evalue").asString("")),
          lines(output.path("traceback"))));
      default -> Optional.empty();
    };
  }

  private static String text(JsonNode text) {
    if (text.isArray()) {
      StringBuilder joined = new StringBuilder();
      text.forEach(part -> joined.append(part.asString("")));
      return joined.toString();
    }
    return text.asString("");
  }

  private static List<String> lines(JsonNode traceback) {
    List<String> lines = new ArrayList<>();
    if (traceback.isArray()) {
      traceback.forEach(line -> lines.add(line.asString("")));
    } else if (traceback.isString()) {
      lines.add(traceback.asString());
    }
    return lines;
  }
}
