package dev.sandcastle.interpreter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.api.ApiSettings;
import dev.sandcastle.api.WorkspaceApi;
import dev.sandcastle.api.Workspaces;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.interpreter.engine.TestWorkspace;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The terminal tools against a real workspace API in a bubblewrap sandbox, through an HTTP transport. */
@Tag("bwrap")
class TerminalToolsWorkspaceTest {
  static final String KEY = "test-key-0123456789";
  static final JsonMapper JSON = JsonMapper.shared();

  static TestWorkspace sandbox;
  static Javalin server;
  static HttpTransport transport;
  static TerminalTools tools;

  /** A loopback HTTP call with the API key, counting the requests it sends. */
  static final class HttpTransport implements ToolTransport, AutoCloseable {
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final AtomicInteger calls = new AtomicInteger();
    final String base;

    HttpTransport(int port) {
      base = "http://127.0.0.1:" + port;
    }

    @Override
    public Response send(String method, String pathAndQuery, Optional<String> jsonBody) {
      calls.incrementAndGet();
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
          .timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + KEY)
          .header("X-Session-Id", "chat-1");
      jsonBody.ifPresent(body -> request.header("Content-Type", "application/json"));
      request.method(method, jsonBody.map(HttpRequest.BodyPublishers::ofString).orElse(HttpRequest.BodyPublishers.noBody()));
      try {
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted");
      }
    }

    @Override
    public void close() {
      client.close();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    sandbox = new TestWorkspace(new KernelSettings(2, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)));
    var uploads = Files.createDirectories(sandbox.root.resolve("uploads"));
    server = new WorkspaceApi(Workspaces.single(sandbox.workspace), new ApiSettings(KEY, 1 << 20, 4 << 20, uploads))
        .create("127.0.0.1", 0).start();
    transport = new HttpTransport(server.port());
    // The document the server itself offers Open WebUI.
    tools = TerminalTools.fromOpenApi(transport.send("GET", "/openapi.json", Optional.empty()).body());
  }

  @AfterAll
  static void stop() {
    if (transport != null) {
      transport.close();
    }
    if (server != null) {
      server.stop();
    }
    sandbox.close();
  }

  static JsonNode ok(String result) {
    JsonNode parsed = JSON.readTree(result);
    assertThat(parsed.has("error")).as("a successful result: %s", result).isFalse();
    return parsed;
  }

  static String error(String result) {
    JsonNode parsed = JSON.readTree(result);
    assertThat(parsed.has("error")).as("an error result: %s", result).isTrue();
    return parsed.path("error").asString();
  }

  static String output(JsonNode execution) {
    StringBuilder text = new StringBuilder();
    execution.path("output").forEach(entry -> text.append(entry.path("data").asString()));
    return text.toString();
  }

  @Test
  void theServedDocumentGivesTheTwelveTools() {
    assertThat(tools.definitions()).hasSize(12);
    assertThat(tools.handles("run_command")).isTrue();
  }

  @Test
  void runCommandReturnsTheCommandsOutput() {
    JsonNode run = ok(tools.call("run_command", "{\"command\":\"echo hello from $((6 * 7))\",\"wait\":20}", transport));
    assertThat(run.path("status").asString()).isEqualTo("done");
    assertThat(run.path("exit_code").asInt()).isZero();
    assertThat(output(run)).isEqualTo("hello from 42\n");
  }

  @Test
  void writeThenEditThenReadRoundTrips() {
    JsonNode written = ok(tools.call("write_file",
        "{\"path\":\"notes/plan.txt\",\"content\":\"first line\\nsecond ünïcode line\\n\"}", transport));
    assertThat(written.path("path").asString()).endsWith("/notes/plan.txt");

    ok(tools.call("replace_file_content",
        "{\"path\":\"notes/plan.txt\",\"replacements\":[{\"target\":\"first\",\"replacement\":\"1st\"}]}", transport));

    JsonNode read = ok(tools.call("read_file", "{\"path\":\"notes/plan.txt\"}", transport));
    assertThat(read.path("content").asString()).isEqualTo("1st line\nsecond ünïcode line\n");
    assertThat(read.path("total_lines").asInt()).isEqualTo(2);

    JsonNode secondLine = ok(tools.call("read_file", "{\"path\":\"notes/plan.txt\",\"start_line\":2,\"end_line\":2}", transport));
    assertThat(secondLine.path("content").asString()).isEqualTo("second ünïcode line\n");
  }

  @Test
  void aMissingRequiredArgumentSendsNothing() {
    int before = transport.calls.get();
    assertThat(error(tools.call("write_file", "{\"path\":\"only-a-path.txt\"}", transport))).contains("content");
    assertThat(error(tools.call("run_command", "{\"wait\":5}", transport))).contains("command");
    assertThat(transport.calls.get()).isEqualTo(before);
    assertThat(sandbox.root.resolve("home/only-a-path.txt")).doesNotExist();
  }

  @Test
  void anUnknownToolSendsNothing() {
    int before = transport.calls.get();
    assertThat(error(tools.call("format_disk", "{}", transport))).contains("unknown tool");
    assertThat(transport.calls.get()).isEqualTo(before);
  }

  @Test
  void theServerRefusesToChangeAPathOutsideTheHome() {
    int before = transport.calls.get();
    String refused = error(tools.call("write_file", "{\"path\":\"../../../../etc/passwd\",\"content\":\"pwned\"}", transport));
    assertThat(refused).startsWith("403: ").contains("read-only");
    assertThat(transport.calls.get()).isEqualTo(before + 1);
  }

  @Test
  void anUnknownProcessIsReportedWithItsStatus() {
    assertThat(error(tools.call("get_process_status", "{\"id\":\"no-such-process\"}", transport))).startsWith("404: ");
  }
}
