package dev.sandcastle.interpreter.chat;

import dev.sandcastle.interpreter.engine.CodeOutput;
import dev.sandcastle.interpreter.engine.CodeRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** How code outputs look on the wire and to the model. */
final class Outputs {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Outputs() {}

  /** One output as JSON: {@code {"type":"stream","name","text"}}, {@code display}/{@code result} with {@code data}, {@code error}. */
  static Map<String, Object> json(CodeOutput output) {
    Map<String, Object> json = new LinkedHashMap<>();
    switch (output) {
      case CodeOutput.Stream stream -> {
        json.put("type", "stream");
        json.put("name", stream.name());
        json.put("text", stream.text());
      }
      case CodeOutput.Display display -> {
        json.put("type", "display");
        json.put("data", display.data());
      }
      case CodeOutput.Result result -> {
        json.put("type", "result");
        json.put("data", result.data());
      }
      case CodeOutput.Error error -> {
        json.put("type", "error");
        json.put("name", error.name());
        json.put("value", error.value());
        json.put("traceback", error.traceback());
      }
    }
    return json;
  }

  /** Markdown image links for the files an execution's outputs were stored as, one per line. */
  static String links(List<Map<String, Object>> outputs) {
    StringBuilder links = new StringBuilder();
    for (Map<String, Object> output : outputs) {
      if (output.get("url") instanceof String url) {
        String mime = String.valueOf(output.getOrDefault("mime_type", ""));
        links.append(links.isEmpty() ? "\n" : "").append(mime.startsWith("image/") ? "![Output Image](" + url + ")" : "[" + mime + "](" + url + ")")
            .append('\n');
      }
    }
    return links.toString();
  }

  /** "Name: value" of the error that ended a run, or its status. */
  static String errorLine(CodeRun run) {
    for (CodeOutput output : run.outputs()) {
      if (output instanceof CodeOutput.Error error) {
        return error.name() + ": " + error.value();
      }
    }
    return "the code ended with status " + run.status().wireName();
  }

  /**
   * Upstream's rendering of an execution in a message, so Open WebUI shows it as its own:
   * {@code <details type="code_interpreter" done="true" duration="S" output="{escaped JSON}">}.
   */
  static String details(String code, CodeRun run, List<Map<String, Object>> outputs) {
    Map<String, Object> output = new LinkedHashMap<>();
    output.put("stdout", run.stdout() + links(outputs));
    output.put("stderr", run.stderr());
    run.resultText().ifPresent(result -> output.put("result", result));
    String escaped = escape(JSON.writeValueAsString(output));
    return "\n<details type=\"code_interpreter\" done=\"true\" duration=\"" + Math.max(0, run.duration().toSeconds()) + "\" output=\""
        + escaped + "\">\n<summary>Analyzed</summary>\n```python\n" + code + "\n```\n</details>\n";
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
