package dev.sandcastle.interpreter.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.interpreter.engine.Engine;
import dev.sandcastle.interpreter.engine.TestWorkspace;
import dev.sandcastle.interpreter.engine.WorkspaceEngine;
import dev.sandcastle.interpreter.openai.FakeOpenAi;
import dev.sandcastle.interpreter.openai.OpenAiClient;
import dev.sandcastle.interpreter.openai.Upstream;
import dev.sandcastle.interpreter.openai.Upstreams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The chat loop against a scripted model and a real workspace kernel. */
@Tag("bwrap")
class ChatServiceTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static TestWorkspace sandbox;
  FakeOpenAi model;
  OpenAiClient client;
  ChatService chat;

  @BeforeAll
  static void workspace() {
    sandbox = new TestWorkspace(new KernelSettings(8, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)));
  }

  @AfterAll
  static void closeWorkspace() {
    sandbox.close();
  }

  @BeforeEach
  void start() {
    model = FakeOpenAi.start();
    client = new OpenAiClient(Upstreams.of(List.of(new Upstream("fake", model.baseUrl(), "upstream-key"))));
    Map<String, Engine> engines = Map.of("workspace", new WorkspaceEngine());
    chat = new ChatService(client, engines, new ChatSettings(4, "workspace", false, Duration.ofSeconds(30)));
  }

  @AfterEach
  void stop() {
    client.close();
    model.close();
  }

  ChatCaller caller() {
    return new ChatCaller("alice", Optional.of(sandbox.workspace), new OutputStore(Optional.of(sandbox.workspace), name -> "/files/serve/outputs/" + name));
  }

  List<ObjectNode> complete(String json) throws InterruptedException {
    List<ObjectNode> chunks = new ArrayList<>();
    chat.complete((ObjectNode) JSON.readTree(json), caller(), chunks::add);
    return chunks;
  }

  static String text(List<ObjectNode> chunks) {
    StringBuilder text = new StringBuilder();
    chunks.forEach(c -> text.append(c.path("choices").path(0).path("delta").path("content").asString("")));
    return text.toString();
  }

  static List<JsonNode> events(List<ObjectNode> chunks, String type) {
    return chunks.stream().map(c -> c.path("sandcastle")).filter(e -> type.equals(e.path("type").asString(""))).map(e -> (JsonNode) e).toList();
  }

  static String request(String chatId, String extra) {
    return "{\"model\":\"fake-model\",\"chat_id\":\"" + chatId + "\",\"messages\":[{\"role\":\"user\",\"content\":\"plot it\"}]" + extra + "}";
  }

  @Test
  void aNativeToolCallMakesAChartWhoseFileLinkReachesTheModelAndTheClient() throws Exception {
    model.enqueueToolCall("call-1", "execute_code", JSON.writeValueAsString(Map.of("code",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nprint('plotted')")));
    model.enqueueText("Here is ", "your chart.");
    List<ObjectNode> chunks = complete(request("chart", ""));

    assertThat(text(chunks)).isEqualTo("Here is your chart.");
    JsonNode finished = events(chunks, "code_finished").getFirst();
    assertThat(finished.path("status").asString()).isEqualTo("ok");
    JsonNode image = null;
    for (JsonNode output : finished.path("outputs")) {
      if (output.has("url")) {
        image = output;
      }
    }
    assertThat(image).as("the chart is stored as a file").isNotNull();
    assertThat(image.path("url").asString()).startsWith("/files/serve/outputs/").endsWith(".png");
    assertThat(sandbox.root.resolve("home/outputs")).isDirectoryContaining(p -> p.toString().endsWith(".png"));
    // the model was offered execute_code and then read the output with the link
    List<ObjectNode> sent = model.requests();
    assertThat(sent.getFirst().path("tools").toString()).contains("execute_code");
    JsonNode toolMessage = sent.get(1).path("messages").get(2);
    assertThat(toolMessage.path("role").asString()).isEqualTo("tool");
    assertThat(toolMessage.path("tool_call_id").asString()).isEqualTo("call-1");
    JsonNode result = JSON.readTree(toolMessage.path("content").asString());
    assertThat(result.path("status").asString()).isEqualTo("success");
    assertThat(result.path("stdout").asString()).contains("plotted").contains("![Output Image](/files/serve/outputs/");
    // our options never reach the upstream
    assertThat(sent.getFirst().has("chat_id")).isFalse();
    assertThat(events(chunks, "executions").getFirst().path("executions")).hasSize(1);
  }

  @Test
  void codeRunsWithoutAModelAsTheReRunButtonAsks() throws Exception {
    List<ObjectNode> chunks = new ArrayList<>();
    chat.run((ObjectNode) JSON.readTree("{\"code\":\"print(6 * 7)\",\"chat_id\":\"rerun\"}"), caller(), chunks::add);
    JsonNode finished = events(chunks, "code_finished").getFirst();
    assertThat(finished.path("status").asString()).isEqualTo("ok");
    assertThat(finished.path("outputs").toString()).contains("42");
    assertThat(events(chunks, "executions").getFirst().path("executions")).hasSize(1);
    assertThat(model.requests()).as("no model was asked").isEmpty();
    for (String bad : new String[] {"{\"code\":\" \"}", "{\"code\":\"1\",\"engine\":\"cobol\"}", "{\"code\":\"1\",\"timeout\":0}"}) {
      assertThatThrownBy(() -> chat.run((ObjectNode) JSON.readTree(bad), caller(), c -> {})).isInstanceOf(BadRequest.class);
    }
  }

  @Test
  void eventsArriveInOrderWhileTheCodeRuns() throws Exception {
    model.enqueueToolCall("call-1", "execute_code", "{\"code\":\"import time\\nprint('one', flush=True)\\ntime.sleep(0.3)\\nprint('two')\"}");
    model.enqueueText("done");
    List<ObjectNode> chunks = complete(request("order", ""));
    List<String> order = chunks.stream().map(c -> c.path("sandcastle").path("type").asString("")).filter(t -> !t.isEmpty()).toList();
    assertThat(order.getFirst()).isEqualTo("code_started");
    assertThat(order).containsSubsequence("code_started", "code_output", "code_finished", "executions");
    assertThat(order.indexOf("code_finished")).isGreaterThan(order.lastIndexOf("code_output"));
    assertThat(chunks.getLast().path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
  }

  @Test
  void aClientsOwnToolCallIsPassedThroughUntouched() throws Exception {
    model.enqueueToolCall("call-w", "get_weather", "{\"city\":\"Paris\"}");
    List<ObjectNode> chunks = complete(request("client-tool",
        ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]"));
    JsonNode calls = chunks.stream().map(c -> c.path("choices").path(0).path("delta").path("tool_calls")).filter(JsonNode::isArray).findFirst().orElseThrow();
    assertThat(calls.get(0).path("function").path("name").asString()).isEqualTo("get_weather");
    assertThat(calls.get(0).path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(chunks.getLast().path("choices").path(0).path("finish_reason").asString()).isEqualTo("tool_calls");
    assertThat(model.requests().getFirst().path("tools").toString()).contains("get_weather").contains("execute_code");
    assertThat(events(chunks, "code_started")).isEmpty();
  }

  @Test
  void theRoundLimitEndsALoopingModel() throws Exception {
    for (int i = 0; i < 3; i++) {
      model.enqueueToolCall("call-" + i, "execute_code", "{\"code\":\"print(" + i + ")\"}");
    }
    List<ObjectNode> chunks = complete(request("cap", ",\"params\":{\"code_interpreter_rounds\":2}"));
    assertThat(events(chunks, "code_finished")).hasSize(2);
    assertThat(text(chunks)).contains("stopped after 2 rounds");
    assertThat(chunks.getLast().path("choices").path(0).path("finish_reason").asString()).isEqualTo("length");
    assertThat(model.requests()).hasSize(3);
  }

  @Test
  void anExceptionsTracebackReachesTheModel() throws Exception {
    model.enqueueToolCall("call-1", "execute_code", "{\"code\":\"1/0\"}");
    model.enqueueText("It divided by zero.");
    complete(request("error", ""));
    JsonNode result = JSON.readTree(model.requests().get(1).path("messages").get(2).path("content").asString());
    assertThat(result.path("status").asString()).isEqualTo("error");
    assertThat(result.path("stderr").asString()).contains("Traceback").contains("ZeroDivisionError");
    assertThat(result.path("error").asString()).contains("ZeroDivisionError");
  }

  @Test
  void legacyModeRunsATagSplitAcrossChunksAndReplaysStdoutAndStderr() throws Exception {
    model.enqueueText("Let me check. <code_inter", "preter type=\"code\" lang=\"python\">\nimport sys\nprint(6*7)\nprint('warn', file=sys.stderr)\n</code_", "interpreter> ignored");
    model.enqueueText("The answer is 42.");
    List<ObjectNode> chunks = complete(request("xml-split", ",\"params\":{\"function_calling\":\"legacy\"}"));
    assertThat(text(chunks)).isEqualTo("Let me check. The answer is 42.");
    List<ObjectNode> sent = model.requests();
    assertThat(sent.getFirst().path("messages").get(0).path("content").asString()).contains("<code_interpreter");
    String followUp = sent.get(1).path("messages").get(1).path("content").asString();
    assertThat(followUp).startsWith("Let me check. <code_interpreter>\n").contains("<code_interpreter_output>\n42\n").contains("warn");
  }

  @Test
  void legacyModeRunsAWholeTagInOneChunkAndIgnoresTagsInThinking() throws Exception {
    model.enqueueText("<think>maybe <code_interpreter type=\"code\">print('no')</code_interpreter></think>"
        + "<code_interpreter type=\"code\" lang=\"python\">print('yes')</code_interpreter>");
    model.enqueueText("ok");
    List<ObjectNode> chunks = complete(request("xml-whole", ",\"params\":{\"function_calling\":\"legacy\"}"));
    List<JsonNode> runs = events(chunks, "code_started");
    assertThat(runs).hasSize(1);
    assertThat(runs.getFirst().path("code").asString()).isEqualTo("print('yes')");
    assertThat(model.requests().get(1).path("messages").get(1).path("content").asString()).contains("<code_interpreter_output>\nyes\n");
  }

  @Test
  void attachmentsAreReadableByTheCodeAtMntUploads() throws Exception {
    model.enqueueToolCall("call-1", "execute_code", "{\"code\":\"print(open('/mnt/uploads/data.csv').read().strip())\"}");
    model.enqueueText("read");
    complete("{\"model\":\"fake-model\",\"chat_id\":\"files\",\"messages\":[{\"role\":\"user\",\"content\":\"sum it\"}],"
        + "\"files\":[{\"name\":\"data.csv\",\"data\":\"" + java.util.Base64.getEncoder().encodeToString("a,b\n1,2".getBytes()) + "\"}]}");
    List<ObjectNode> sent = model.requests();
    assertThat(sent.getFirst().path("messages").toString()).contains("/mnt/uploads/data.csv");
    JsonNode result = JSON.readTree(sent.get(1).path("messages").get(3).path("content").asString());
    assertThat(result.path("stdout").asString()).isEqualTo("a,b\n1,2\n");
  }

  @Test
  void executionsCanBeRenderedAsUpstreamsDetailsBlocks() throws Exception {
    model.enqueueToolCall("call-1", "execute_code", "{\"code\":\"print('<b>&')\"}");
    model.enqueueText("done");
    String text = text(complete(request("details", ",\"params\":{\"code_interpreter_details\":true}")));
    assertThat(text).startsWith("\n<details type=\"code_interpreter\" done=\"true\" duration=\"")
        .contains("output=\"{&quot;stdout&quot;:&quot;&lt;b&gt;&amp;\\n&quot;")
        .contains("<summary>Analyzed</summary>\n```python\nprint('<b>&')\n```\n</details>\n")
        .endsWith("done");
  }

  @Test
  void codeInterpreterAndTerminalExcludeEachOther() {
    assertThatThrownBy(() -> complete(request("both", ",\"features\":{\"code_interpreter\":true,\"terminal\":true}")))
        .isInstanceOf(BadRequest.class).hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> complete(request("tools", ",\"tools\":null"))).isInstanceOf(BadRequest.class).hasMessageContaining("tools");
    assertThatThrownBy(() -> complete(request(" ", ""))).isInstanceOf(BadRequest.class).hasMessageContaining("chat_id");
    assertThat(model.requests()).isEmpty();
  }

  @Test
  void withoutAModelApiTheErrorSaysWhatToConfigure() {
    try (OpenAiClient none = new OpenAiClient(Upstreams.of(List.of()))) {
      ChatService bare = new ChatService(none, Map.of(), new ChatSettings(4, "workspace", false, Duration.ofSeconds(30)));
      assertThatThrownBy(() -> bare.complete((ObjectNode) JSON.readTree(request("none", "")), caller(), chunk -> {}))
          .isInstanceOf(dev.sandcastle.core.errors.Unavailable.class).hasMessageContaining("OPENAI_API_BASE_URL");
    }
  }

  @Test
  void longOutputIsCutInTheMiddleForTheModel() {
    String longText = "a".repeat(ChatService.MAX_OUTPUT_CHARS) + "b".repeat(1000);
    String cut = ChatService.cut(longText);
    assertThat(cut).startsWith("aaa").endsWith("bbb").contains("1000 characters left out");
    assertThat(cut.length()).isLessThan(ChatService.MAX_OUTPUT_CHARS + 100);
  }
}
