package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Behaves like Open WebUI's tool server client: reads /openapi.json, finds operations by
 * operationId, and builds each request only from what the document says (method, path, query
 * parameters, JSON body), as a model's tool call would.
 */
@Tag("bwrap")
class ToolClientTest {
  static TestServer server;
  static JsonNode doc;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
    doc = server.send(HttpRequest.newBuilder(server.uri("/openapi.json")).GET().build()).json();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Calls a tool by operationId with model-style arguments. */
  static TestServer.Response call(String operationId, Map<String, Object> args) {
    for (var path : doc.path("paths").properties()) {
      for (var op : path.getValue().properties()) {
        if (!op.getValue().path("operationId").asString().equals(operationId)) {
          continue;
        }
        String url = path.getKey();
        StringBuilder query = new StringBuilder();
        Map<String, Object> body = new LinkedHashMap<>(args);
        for (JsonNode param : op.getValue().path("parameters")) {
          String name = param.path("name").asString();
          if (!args.containsKey(name)) {
            continue;
          }
          body.remove(name);
          String value = String.valueOf(args.get(name));
          switch (param.path("in").asString()) {
            case "path" -> url = url.replace("{" + name + "}", TestServer.q(value));
            case "query" -> query.append(query.isEmpty() ? "?" : "&").append(name).append('=').append(TestServer.q(value));
            default -> { }
          }
        }
        String method = op.getKey().toUpperCase();
        boolean hasBody = op.getValue().has("requestBody");
        HttpRequest.Builder request = server.request(url + query).header("Content-Type", "application/json");
        request.method(method, hasBody
            ? HttpRequest.BodyPublishers.ofByteArray(TestServer.JSON.writeValueAsBytes(body))
            : HttpRequest.BodyPublishers.noBody());
        return server.send(request.build());
      }
    }
    throw new AssertionError("no operation " + operationId + " in /openapi.json");
  }

  @Test
  void aModelCanWriteRunAndReadThroughTheDocumentedTools() {
    TestServer.Response written = call("write_file", Map.of("path", "calc.py", "content", "print(6 * 7)\n"));
    assertThat(written.status()).isEqualTo(200);
    assertThat(written.json().path("path").asString()).isEqualTo("/home/user/calc.py");

    TestServer.Response ran = call("run_command", Map.of("command", "python3 calc.py > answer.txt; cat answer.txt", "wait", 10));
    assertThat(ran.status()).isEqualTo(200);
    assertThat(TestServer.output(ran.json())).isEqualTo("42\n");

    TestServer.Response read = call("read_file", Map.of("path", "answer.txt"));
    assertThat(read.json().path("content").asString()).isEqualTo("42\n");
    assertThat(read.json().path("total_lines").asInt()).isEqualTo(1);

    String id = ran.json().path("id").asString();
    TestServer.Response status = call("get_process_status", Map.of("id", id));
    assertThat(status.json().path("status").asString()).isEqualTo("done");
    assertThat(call("list_processes", Map.of()).json().findValuesAsString("id")).contains(id);
  }
}
