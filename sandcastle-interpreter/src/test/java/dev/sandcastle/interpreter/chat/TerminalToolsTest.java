package dev.sandcastle.interpreter.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.api.OpenApiDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/** The Open Terminal tools built from the workspace API's own tool document, against a recording transport. */
class TerminalToolsTest {
  static final JsonMapper JSON = JsonMapper.shared();
  static final TerminalTools TOOLS = TerminalTools.fromOpenApi(OpenApiDocument.load().toolsJson());

  /** Records what would be sent and answers with a fixed response. */
  static final class Recorder implements ToolTransport {
    record Sent(String method, String pathAndQuery, Optional<String> body) {}

    final List<Sent> sent = new ArrayList<>();
    final Response answer;

    Recorder(Response answer) {
      this.answer = answer;
    }

    Recorder() {
      this(new Response(200, "application/json", "{\"ok\":true}"));
    }

    @Override
    public Response send(String method, String pathAndQuery, Optional<String> jsonBody) {
      sent.add(new Sent(method, pathAndQuery, jsonBody));
      return answer;
    }

    Sent only() {
      assertThat(sent).hasSize(1);
      return sent.getFirst();
    }
  }

  static JsonNode function(String name) {
    for (JsonNode tool : TOOLS.definitions()) {
      if (tool.path("function").path("name").asString().equals(name)) {
        return tool.path("function");
      }
    }
    throw new AssertionError("no tool " + name);
  }

  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asString()));
    return values;
  }

  static String error(String result) {
    JsonNode parsed = JSON.readTree(result);
    assertThat(parsed.has("error")).as("an error result: %s", result).isTrue();
    return parsed.path("error").asString();
  }

  @Test
  void offersTheTwelveOpenTerminalOperationsAsFunctionTools() {
    ArrayNode definitions = TOOLS.definitions();
    List<String> names = new ArrayList<>();
    definitions.forEach(tool -> {
      assertThat(tool.path("type").asString()).isEqualTo("function");
      assertThat(tool.path("function").path("description").asString()).isNotBlank();
      assertThat(tool.path("function").path("parameters").path("type").asString()).isEqualTo("object");
      names.add(tool.path("function").path("name").asString());
    });
    assertThat(names).containsExactlyInAnyOrder("run_command", "get_process_status", "send_process_input",
        "kill_process", "list_processes", "list_files", "read_file", "display_file", "write_file",
        "replace_file_content", "grep_search", "glob_search");
    assertThat(names).allSatisfy(name -> assertThat(TOOLS.handles(name)).isTrue());
    assertThat(TOOLS.handles("execute_code")).isFalse();
    // Headers are the client's business, and every $ref is resolved for the model.
    assertThat(definitions.toString()).doesNotContain("X-Session-Id", "X-User-Id", "$ref");
  }

  @Test
  void schemasMergeParametersAndBodyWithTheRightRequiredArguments() {
    JsonNode run = function("run_command").path("parameters");
    assertThat(run.path("properties").propertyNames()).contains("command", "cwd", "env", "timeout", "wait", "tail");
    assertThat(strings(run.path("required"))).containsExactly("command");
    assertThat(run.path("properties").path("wait").path("maximum").asInt()).isEqualTo(300);

    assertThat(strings(function("read_file").path("parameters").path("required"))).containsExactly("path");
    assertThat(strings(function("write_file").path("parameters").path("required"))).containsExactlyInAnyOrder("path", "content");
    assertThat(strings(function("get_process_status").path("parameters").path("required"))).containsExactly("id");
    assertThat(strings(function("send_process_input").path("parameters").path("required"))).containsExactlyInAnyOrder("id", "input");
    assertThat(strings(function("list_processes").path("parameters").path("required"))).isEmpty();
    assertThat(function("get_process_status").path("parameters").path("properties").path("id").path("description").asString())
        .contains("run_command");

    JsonNode replacements = function("replace_file_content").path("parameters").path("properties").path("replacements");
    assertThat(replacements.path("type").asString()).isEqualTo("array");
    assertThat(replacements.path("items").path("properties").propertyNames()).contains("target", "replacement", "allow_multiple");
    assertThat(strings(replacements.path("items").path("required"))).containsExactlyInAnyOrder("target", "replacement");

    JsonNode grep = function("grep_search").path("parameters").path("properties").path("include");
    assertThat(grep.path("type").asString()).isEqualTo("array");
    assertThat(grep.path("items").path("type").asString()).isEqualTo("string");
  }

  @Test
  void definitionsAreACopyTheCallerMayChange() {
    TOOLS.definitions().removeAll();
    assertThat(TOOLS.definitions()).hasSize(12);
  }

  @Test
  void buildsMethodPathQueryAndBodyFromTheArguments() {
    Recorder recorder = new Recorder();
    TOOLS.call("run_command", "{\"command\":\"echo hi\",\"wait\":10,\"cwd\":null,\"unknown\":1}", recorder);
    Recorder.Sent run = recorder.only();
    assertThat(run.method()).isEqualTo("POST");
    assertThat(run.pathAndQuery()).isEqualTo("/execute?wait=10");
    assertThat(JSON.readTree(run.body().orElseThrow())).isEqualTo(JSON.readTree("{\"command\":\"echo hi\"}"));

    recorder = new Recorder();
    TOOLS.call("get_process_status", "{\"id\":\"a b/c\",\"offset\":3,\"wait\":1.5}", recorder);
    assertThat(recorder.only().method()).isEqualTo("GET");
    assertThat(recorder.only().pathAndQuery()).isEqualTo("/execute/a%20b%2Fc/status?wait=1.5&offset=3");
    assertThat(recorder.only().body()).isEmpty();

    recorder = new Recorder();
    TOOLS.call("kill_process", "{\"id\":\"p1\",\"force\":true}", recorder);
    assertThat(recorder.only().method()).isEqualTo("DELETE");
    assertThat(recorder.only().pathAndQuery()).isEqualTo("/execute/p1?force=true");

    recorder = new Recorder();
    TOOLS.call("grep_search", "{\"query\":\"a&b=c ü\",\"include\":[\"*.py\",\"*.md\"],\"regex\":false}", recorder);
    assertThat(recorder.only().pathAndQuery())
        .isEqualTo("/files/grep?query=a%26b%3Dc%20%C3%BC&regex=false&include=*.py&include=*.md");

    recorder = new Recorder();
    TOOLS.call("list_processes", "", recorder);
    assertThat(recorder.only().pathAndQuery()).isEqualTo("/execute");
  }

  @Test
  void refusesBadArgumentsWithoutARequest() {
    Recorder recorder = new Recorder();
    assertThat(error(TOOLS.call("write_file", "{\"path\":\"a.txt\"}", recorder))).contains("missing", "content");
    assertThat(error(TOOLS.call("read_file", "{\"start_line\":2}", recorder))).contains("missing", "path");
    assertThat(error(TOOLS.call("read_file", "{\"path\":null}", recorder))).contains("missing", "path");
    assertThat(error(TOOLS.call("read_file", "{\"path\":", recorder))).contains("not valid JSON");
    assertThat(error(TOOLS.call("read_file", "[\"notes.txt\"]", recorder))).contains("JSON object");
    assertThat(error(TOOLS.call("read_file", "{\"path\":{\"a\":1}}", recorder))).contains("path");
    assertThat(error(TOOLS.call("get_process_status", "{\"id\":\"..\"}", recorder))).contains("id");
    assertThat(error(TOOLS.call("delete_everything", "{}", recorder))).contains("unknown tool", "delete_everything", "run_command");
    assertThat(recorder.sent).isEmpty();
  }

  @Test
  void reportsAFailedRequestWithTheProblemDetail() {
    Recorder notFound = new Recorder(new ToolTransport.Response(404, "application/problem+json",
        "{\"type\":\"https://sandcastle.dev/problems/not-found\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"no process p9\"}"));
    assertThat(error(TOOLS.call("get_process_status", "{\"id\":\"p9\"}", notFound))).isEqualTo("404: no process p9");

    Recorder plain = new Recorder(new ToolTransport.Response(502, "text/plain", "bad gateway\n"));
    assertThat(error(TOOLS.call("list_processes", "{}", plain))).isEqualTo("502: bad gateway");

    ToolTransport down = (method, path, body) -> {
      throw new IllegalStateException("connection refused");
    };
    assertThat(error(TOOLS.call("list_processes", "{}", down))).contains("could not be reached", "connection refused");
  }

  @Test
  void cutsAHugeResultAndSaysSo() {
    String huge = "x".repeat(200_000);
    String result = TOOLS.call("read_file", "{\"path\":\"big.txt\"}", new Recorder(new ToolTransport.Response(200, "application/json", huge)));
    assertThat(result.length()).isLessThan(TerminalTools.MAX_RESULT_CHARS + 300);
    assertThat(result).startsWith("x".repeat(1000)).contains("truncated", "200000");
  }

  @Test
  void replacesBinaryContentByANote() {
    String result = TOOLS.call("read_file", "{\"path\":\"chart.png\"}",
        new Recorder(new ToolTransport.Response(200, "image/png", "\u0089PNG\r\n...")));
    assertThat(JSON.readTree(result).path("content_type").asString()).isEqualTo("image/png");
    assertThat(result).doesNotContain("PNG\r\n");
  }

  @Test
  void leavesOutOperationsAModelCannotCallWithJson() {
    TerminalTools tools = TerminalTools.fromOpenApi("""
        {"openapi":"3.1.0","paths":{
          "/files/upload":{"post":{"operationId":"upload_file","requestBody":{"content":{"multipart/form-data":{"schema":{"type":"object"}}}}}},
          "/things/{id}":{"get":{"operationId":"get_thing","parameters":[{"name":"X-Trace","in":"header"}]}},
          "/notes":{"post":{"operationId":"add_note","summary":"Add a note",
             "parameters":[{"name":"X-Trace","in":"header","required":true}],
             "requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Note"}}}}}}},
         "components":{"schemas":{"Note":{"type":"object","required":["text"],"properties":{"text":{"type":"string"}}}}}}
        """);
    assertThat(tools.handles("upload_file")).isFalse();
    assertThat(tools.handles("get_thing")).isFalse();
    assertThat(tools.definitions()).hasSize(1);
    JsonNode note = tools.definitions().get(0).path("function");
    assertThat(note.path("name").asString()).isEqualTo("add_note");
    assertThat(note.path("description").asString()).isEqualTo("Add a note");
    assertThat(strings(note.path("parameters").path("required"))).containsExactly("text");

    Recorder recorder = new Recorder();
    tools.call("add_note", "{\"text\":\"hi\"}", recorder);
    assertThat(recorder.only().body()).contains("{\"text\":\"hi\"}");
  }

  @Test
  void refusesADocumentThatIsNotOpenApi() {
    assertThatThrownBy(() -> TerminalTools.fromOpenApi("{\"openapi\":")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TerminalTools.fromOpenApi("{\"openapi\":\"3.1.0\"}")).isInstanceOf(IllegalArgumentException.class);
  }
}
