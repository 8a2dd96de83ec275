package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.interpreter.openai.FakeOpenAi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** /v1/chat/completions on sandcastle serve: each user's code runs in their own workspace. */
@Tag("bwrap")
class ChatEndpointTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String SECRET = "open-webui-secret-0123456789abcdef";
  static FakeOpenAi model;
  static Orchestrator server;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    model = FakeOpenAi.start();
    Path data = Files.createTempDirectory("sandcastle-chat");
    data.toFile().setExecutable(true, false);
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.put(Setting.WEBUI_SECRET_KEY, SECRET);
    settings.put(Setting.OPENAI_API_BASE_URLS, model.baseUrl());
    server = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  static Http user(String id) {
    return new Http(base, Map.of("Authorization", "Bearer " + Tokens.openWebUi(SECRET, id, Instant.now().plusSeconds(600))));
  }

  /** The data events of an SSE answer, parsed; the last line must be [DONE]. */
  static List<JsonNode> stream(String user, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + Tokens.openWebUi(SECRET, user, Instant.now().plusSeconds(600)))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<String> data = response.body().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    assertThat(data.getLast()).isEqualTo("[DONE]");
    List<JsonNode> events = new ArrayList<>();
    for (String line : data.subList(0, data.size() - 1)) {
      events.add(Http.JSON.readTree(line));
    }
    return events;
  }

  static String chat(String chatId, String code) {
    return "{\"model\":\"fake-model\",\"stream\":true,\"chat_id\":\"" + chatId + "\",\"features\":{\"code_interpreter\":true},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
  }

  @Test
  void twoUsersChatsRunInTheirOwnWorkspacesAndChartsAreLinkedFiles() throws Exception {
    assertThat(user("ann").get("/v1/models").json().path("data").get(0).path("id").asString()).isEqualTo("fake-model");

    model.enqueueToolCall("c1", "execute_code", Http.JSON.writeValueAsString(Map.of("code",
        "open('mine.txt', 'w').write('ann')\nimport matplotlib.pyplot as plt\nplt.bar([1, 2], [3, 4])\nplt.show()")));
    model.enqueueText("Saved.");
    List<JsonNode> ann = stream("ann", chat("ann-chat", ""));
    assertThat(ann.getFirst().path("object").asString()).isEqualTo("chat.completion.chunk");
    JsonNode finished = ann.stream().map(e -> e.path("sandcastle")).filter(e -> e.path("type").asString("").equals("code_finished"))
        .findFirst().orElseThrow();
    String link = null;
    for (JsonNode output : finished.path("outputs")) {
      link = output.has("url") ? output.path("url").asString() : link;
    }
    assertThat(link).startsWith("/v1/outputs/");

    model.enqueueToolCall("c2", "execute_code", "{\"code\":\"import os\\nprint(os.path.exists('mine.txt'))\"}");
    model.enqueueText("Checked.");
    stream("ben", chat("ben-chat", ""));
    List<tools.jackson.databind.node.ObjectNode> sent = model.requests();
    String bensView = sent.getLast().path("messages").get(2).path("content").asString();
    assertThat(Http.JSON.readTree(bensView).path("stdout").asString()).isEqualTo("False\n");
    assertThat(user("ann").with("X-User-Id", "ann").get("/files/read?path=mine.txt").json().path("content").asString()).isEqualTo("ann");

    // The chart loads in a browser without credentials, through its signed link only.
    HttpResponse<byte[]> image = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + link)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(image.statusCode()).isEqualTo(200);
    assertThat(image.headers().firstValue("Content-Type").orElse("")).startsWith("image/png");
    assertThat(image.body()).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    String forged = link.substring(0, link.lastIndexOf('/')) + "/other.png";
    assertThat(new Http(base, Map.of()).get(forged).status()).isEqualTo(404);
  }

  @Test
  void aRequestWithoutAUserOrWithBothFeaturesIsRefused() {
    assertThat(new Http(base, Map.of()).post("/v1/chat/completions", Map.of("model", "fake-model")).status()).isEqualTo(401);
    Http.Response both = user("cid").post("/v1/chat/completions", Map.of("model", "fake-model",
        "messages", List.of(Map.of("role", "user", "content", "x")), "features", Map.of("code_interpreter", true, "terminal", true)));
    assertThat(both.status()).isEqualTo(400);
    assertThat(both.json().path("detail").asString()).contains("exclude each other");
  }

  @Test
  void withTheTerminalFeatureTheModelGetsTheOpenTerminalToolsAndTheyActInTheUsersWorkspace() {
    model.enqueueToolCall("t1", "run_command", "{\"command\":\"echo from-the-model > note.txt; cat note.txt\"}");
    model.enqueueText("written");
    JsonNode answer = user("eva").post("/v1/chat/completions", Map.of("model", "fake-model", "chat_id", "eva-chat",
        "features", Map.of("terminal", true), "messages", List.of(Map.of("role", "user", "content", "write a note")))).json();
    assertThat(answer.path("choices").get(0).path("message").path("content").asString()).isEqualTo("written");
    List<tools.jackson.databind.node.ObjectNode> sent = model.requests();
    assertThat(sent.get(sent.size() - 2).path("tools").toString()).contains("run_command").doesNotContain("execute_code");
    String result = sent.getLast().path("messages").get(2).path("content").asString();
    assertThat(result).contains("from-the-model");
    assertThat(user("eva").with("X-User-Id", "eva").get("/files/read?path=note.txt").json().path("content").asString())
        .isEqualTo("from-the-model\n");
  }

  @Test
  void thePyodideEngineAsksTheUsersOpenPageAndSaysSoWhenThereIsNone() throws Exception {
    // No page open: the model is told, the chat still answers.
    model.enqueueToolCall("p0", "execute_code", "{\"code\":\"print(1)\"}");
    model.enqueueText("no browser");
    user("gil").post("/v1/chat/completions", Map.of("model", "fake-model", "chat_id", "gil-chat",
        "params", Map.of("code_interpreter_engine", "pyodide"), "messages", List.of(Map.of("role", "user", "content", "x"))));
    assertThat(model.requests().getLast().path("messages").get(2).path("content").asString()).contains("no browser page");

    // A page opens (what the web UI's Pyodide worker does) and runs what it is sent.
    String token = Tokens.openWebUi(SECRET, "gil", Instant.now().plusSeconds(600));
    Socket page = new Socket("ws://127.0.0.1:" + server.port() + "/v1/pyodide?user_id=gil");
    page.text("{\"type\":\"auth\",\"token\":\"" + token + "\"}");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> page.received().contains("ready"));
    Thread browser = Thread.ofVirtual().start(() -> {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> page.received().contains("\"execute\""));
      String id = "";
      // The page's socket received several JSON messages back to back; read them one by one.
      try (var messages = Http.JSON.readerFor(JsonNode.class).<JsonNode>readValues(page.received())) {
        while (messages.hasNext()) {
          JsonNode message = messages.next();
          if ("execute".equals(message.path("type").asString(""))) {
            assertThat(message.path("code").asString()).isEqualTo("print(sum(range(10)))");
            id = message.path("id").asString();
          }
        }
      }
      page.text("{\"type\":\"result\",\"id\":\"" + id + "\",\"status\":\"ok\",\"outputs\":[{\"type\":\"stream\",\"name\":\"stdout\",\"text\":\"45\\n\"}]}");
    });
    model.enqueueToolCall("p1", "execute_code", "{\"code\":\"print(sum(range(10)))\"}");
    model.enqueueText("45 it is");
    JsonNode answer = user("gil").post("/v1/chat/completions", Map.of("model", "fake-model", "chat_id", "gil-chat",
        "params", Map.of("code_interpreter_engine", "pyodide"), "messages", List.of(Map.of("role", "user", "content", "sum")))).json();
    browser.join();
    JsonNode execution = answer.path("choices").get(0).path("message").path("executions").get(0);
    assertThat(execution.path("engine").asString()).isEqualTo("pyodide");
    assertThat(execution.path("outputs").get(0).path("text").asString()).isEqualTo("45\n");
    page.socket.sendClose(1000, "bye").join();
  }

  @Test
  void aNonStreamingAnswerCarriesTheExecutions() {
    model.enqueueToolCall("c9", "execute_code", "{\"code\":\"print(2 + 2)\"}");
    model.enqueueText("4");
    JsonNode answer = user("dee").post("/v1/chat/completions", Map.of("model", "fake-model", "chat_id", "dee-chat",
        "messages", List.of(Map.of("role", "user", "content", "add")))).json();
    JsonNode message = answer.path("choices").get(0).path("message");
    assertThat(message.path("content").asString()).isEqualTo("4");
    assertThat(message.path("executions").get(0).path("code").asString()).isEqualTo("print(2 + 2)");
    assertThat(message.path("executions").get(0).path("outputs").get(0).path("text").asString()).isEqualTo("4\n");
  }
}
