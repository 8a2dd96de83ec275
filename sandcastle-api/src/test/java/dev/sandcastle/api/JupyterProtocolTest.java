package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Sandcastle as a Jupyter Server, exercised exactly as Open WebUI's Jupyter engine does. */
@Tag("bwrap")
class JupyterProtocolTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static WebSocket open(String kernelId, String token, ChannelsSocket listener) {
    return server.client.newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/kernels/" + kernelId + "/channels?token=" + token), listener)
        .join();
  }

  static String executeRequest(String msgId, String code) {
    return TestServer.JSON.writeValueAsString(Map.of(
        "header", Map.of("msg_id", msgId, "msg_type", "execute_request", "username", "user", "session", UUID.randomUUID().toString(),
            "date", "", "version", "5.3"),
        "parent_header", Map.of(), "metadata", Map.of(),
        "content", Map.of("code", code, "silent", false, "store_history", true, "user_expressions", Map.of(),
            "allow_stdin", false, "stop_on_error", true),
        "channel", "shell"));
  }

  /** Runs code the way Open WebUI does: collect iopub messages for our msg_id until status idle. */
  static List<JsonNode> run(WebSocket socket, ChannelsSocket channels, String code) throws InterruptedException {
    String msgId = UUID.randomUUID().toString();
    socket.sendText(executeRequest(msgId, code), true).join();
    List<JsonNode> mine = new ArrayList<>();
    while (true) {
      JsonNode message = channels.next();
      if (!message.path("parent_header").path("msg_id").asString("").equals(msgId)) {
        continue;
      }
      mine.add(message);
      if (message.path("msg_type").asString().equals("status")
          && message.path("content").path("execution_state").asString().equals("idle")) {
        return mine;
      }
    }
  }

  @Test
  void openWebUisJupyterExchangeWorksAndStateSurvives() throws Exception {
    // Open WebUI sends "Authorization: token <t>" on REST calls.
    TestServer.Response created = server.send(HttpRequest.newBuilder(server.uri("/api/kernels"))
        .header("Authorization", "token " + TestServer.KEY).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(created.status()).isEqualTo(201);
    String id = created.json().path("id").asString();

    ChannelsSocket channels = new ChannelsSocket();
    WebSocket socket = open(id, TestServer.KEY, channels);
    List<JsonNode> first = run(socket, channels, "x = 6\nprint('hello')\nx * 7");
    assertThat(first).extracting(m -> m.path("msg_type").asString()).contains("status", "execute_input", "stream", "execute_result");
    String printed = String.join("", first.stream().filter(m -> m.path("msg_type").asString().equals("stream"))
        .map(m -> m.path("content").path("text").asString()).toList());
    assertThat(printed).isEqualTo("hello\n");
    JsonNode result = first.stream().filter(m -> m.path("msg_type").asString().equals("execute_result")).findFirst().orElseThrow();
    assertThat(result.path("content").path("data").path("text/plain").asString()).isEqualTo("42");
    assertThat(result.path("channel").asString()).isEqualTo("iopub");

    // Unlike upstream (a fresh kernel per run), state persists.
    List<JsonNode> second = run(socket, channels, "import matplotlib.pyplot as plt\nplt.plot([x, x])\n1/0");
    assertThat(second).extracting(m -> m.path("msg_type").asString()).contains("display_data", "error");
    JsonNode error = second.stream().filter(m -> m.path("msg_type").asString().equals("error")).findFirst().orElseThrow();
    assertThat(error.path("content").path("ename").asString()).isEqualTo("ZeroDivisionError");
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

    assertThat(server.get("/api/kernels").json().findValuesAsString("id")).contains(id);
    assertThat(server.delete("/api/kernels/" + id).status()).isEqualTo(204);
    assertThat(server.get("/api/kernels/" + id).status()).isEqualTo(404);
  }

  @Test
  void kernelSpecsAndRestAuthWork() {
    JsonNode specs = server.send(HttpRequest.newBuilder(server.uri("/api/kernelspecs?token=" + TestServer.KEY)).GET().build()).json();
    assertThat(specs.path("default").asString()).isEqualTo("python3");
    assertThat(specs.path("kernelspecs").path("python3").path("spec").path("language").asString()).isEqualTo("python");
    assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/kernels?token=wrong-token-1234")).GET().build()).status()).isEqualTo(401);
    // The query token is only for the Jupyter paths.
    assertThat(server.send(HttpRequest.newBuilder(server.uri("/execute?token=" + TestServer.KEY)).GET().build()).status()).isEqualTo(401);
  }

  @Test
  void aWrongTokenOrUnknownKernelClosesTheSocket() throws Exception {
    String id = server.post("/api/kernels", Map.of()).json().path("id").asString();
    ChannelsSocket wrong = new ChannelsSocket();
    try {
      open(id, "wrong-token-1234", wrong);
      assertThat(wrong.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
    } catch (java.util.concurrent.CompletionException e) {
      assertThat(e.getCause()).hasMessageContaining("401"); // refused at the upgrade: also fine
    }
    ChannelsSocket unknown = new ChannelsSocket();
    open("no-such-kernel", TestServer.KEY, unknown);
    assertThat(unknown.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4004);
    server.delete("/api/kernels/" + id);
  }

  @Test
  void interruptStopsARunningCell() throws Exception {
    String id = server.post("/api/kernels", Map.of()).json().path("id").asString();
    ChannelsSocket channels = new ChannelsSocket();
    WebSocket socket = open(id, TestServer.KEY, channels);
    CompletableFuture<List<JsonNode>> running = CompletableFuture.supplyAsync(() -> {
      try {
        return run(socket, channels, "import time\ntime.sleep(60)");
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(800);
    assertThat(server.send(server.request("/api/kernels/" + id + "/interrupt").POST(HttpRequest.BodyPublishers.noBody()).build()).status())
        .isEqualTo(204);
    List<JsonNode> messages = running.get(20, TimeUnit.SECONDS);
    assertThat(messages).anySatisfy(m -> assertThat(m.path("content").path("ename").asString()).isEqualTo("KeyboardInterrupt"));
    assertThat(run(socket, channels, "'alive'")).anySatisfy(m -> assertThat(m.path("content").path("data").path("text/plain").asString()).isEqualTo("'alive'"));
    server.delete("/api/kernels/" + id);
  }
}
