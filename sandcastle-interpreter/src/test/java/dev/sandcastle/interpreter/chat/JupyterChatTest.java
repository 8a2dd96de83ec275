package dev.sandcastle.interpreter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.interpreter.engine.JupyterEngine;
import dev.sandcastle.interpreter.engine.JupyterSettings;
import dev.sandcastle.interpreter.jupyter.JupyterServer;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A chat on the jupyter engine: a real Jupyter Server keeps the chat's variables between turns. */
@Tag("jupyter")
class JupyterChatTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String TOKEN = "chat-token-0123456789";
  static JupyterServer jupyter;
  static JupyterEngine engine;
  static FakeOpenAi model;
  static OpenAiClient client;
  static ChatService chat;

  @BeforeAll
  static void start() {
    jupyter = JupyterServer.withToken(TOKEN);
    engine = new JupyterEngine(new JupyterSettings(jupyter.url, TOKEN));
    model = FakeOpenAi.start();
    client = new OpenAiClient(Upstreams.of(List.of(new Upstream("fake", model.baseUrl(), ""))));
    chat = new ChatService(client, Map.of("jupyter", engine), new ChatSettings(4, "jupyter", false, Duration.ofSeconds(60)));
  }

  @AfterAll
  static void stop() {
    engine.close();
    client.close();
    model.close();
    jupyter.close();
  }

  static JsonNode turn(String chatId, String code) throws Exception {
    model.enqueueToolCall("call", "execute_code", JSON.writeValueAsString(Map.of("code", code)));
    model.enqueueText("ok");
    List<ObjectNode> chunks = new ArrayList<>();
    chat.complete((ObjectNode) JSON.readTree("{\"model\":\"fake-model\",\"chat_id\":\"" + chatId
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}"), new ChatCaller("alice", Optional.empty(),
        new OutputStore(Optional.empty(), name -> name)), chunks::add);
    List<ObjectNode> sent = model.requests();
    return JSON.readTree(sent.getLast().path("messages").get(2).path("content").asString());
  }

  @Test
  void aVariableSurvivesBetweenTwoTurnsOfOneChatAndNotIntoAnother() throws Exception {
    assertThat(turn("first", "x = 41").path("status").asString()).isEqualTo("success");
    JsonNode second = turn("first", "print(x + 1)");
    assertThat(second.path("stdout").asString()).isEqualTo("42\n");
    JsonNode other = turn("second", "print(x + 1)");
    assertThat(other.path("status").asString()).isEqualTo("error");
    assertThat(other.path("stderr").asString()).contains("NameError");
  }
}
