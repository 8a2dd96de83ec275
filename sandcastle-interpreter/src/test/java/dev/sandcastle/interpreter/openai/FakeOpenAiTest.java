package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class FakeOpenAiTest {
  private FakeOpenAi fake;
  private OpenAiClient client;
  private Upstream upstream;

  @BeforeEach
  void start() {
    fake = FakeOpenAi.start();
    upstream = new Upstream("fake", fake.baseUrl(), "sk-k");
    client = new OpenAiClient(Upstreams.of(List.of(upstream)));
  }

  @AfterEach
  void stop() {
    client.close();
    fake.close();
  }

  private static ObjectNode request(String model, String text) {
    ObjectNode request = Json.MAPPER.createObjectNode().put("model", model);
    request.putArray("messages").addObject().put("role", "user").put("content", text);
    return request;
  }

  private ToolCallAccumulator turn(ObjectNode request) {
    ToolCallAccumulator turn = new ToolCallAccumulator();
    client.stream(upstream, request, turn::add);
    return turn;
  }

  @Test
  void turnsAreReplayedInOrderAndRequestsRecorded() {
    fake.enqueueToolCall("call_1", "execute_code", "{\"code\": \"print('héllo')\"}")
        .enqueueText("It printed ", "héllo.")
        .enqueueError(429, "slow down");

    ToolCallAccumulator first = turn(request("m1", "run it"));
    ToolCallAccumulator second = turn(request("m1", "and?"));
    assertThatThrownBy(() -> turn(request("m1", "again")))
        .isInstanceOf(QuotaExceeded.class).hasMessageContaining("HTTP 429: slow down");

    assertThat(first.toolCalls()).containsExactly(
        new ToolCall("call_1", "execute_code", "{\"code\": \"print('héllo')\"}"));
    assertThat(first.finishReason()).contains("tool_calls");
    assertThat(second.content()).isEqualTo("It printed héllo.");
    assertThat(second.finishReason()).contains("stop");
    assertThat(fake.pending()).isZero();
    assertThat(fake.awaitRequests(3)).extracting(r -> r.path("messages").path(0).path("content")
        .asString()).containsExactly("run it", "and?", "again");
    assertThat(fake.received()).allSatisfy(r -> {
      assertThat(r.header("authorization")).contains("Bearer sk-k");
      assertThat(r.header("Content-Type")).contains("application/json");
    });
  }

  @Test
  void theToolCallIsStreamedAsFragments() {
    fake.enqueueToolCall("call_1", "execute_code", "{\"code\": \"x = 1\"}");
    List<ObjectNode> chunks = new ArrayList<>();

    client.stream(upstream, request("m", "go"), chunks::add);

    assertThat(chunks).hasSizeGreaterThanOrEqualTo(4);
    var first = chunks.getFirst().path("choices").path(0).path("delta").path("tool_calls").path(0);
    assertThat(first.path("function").path("name").asString()).isEqualTo("execute_code");
    assertThat(first.path("function").path("arguments").asString()).isEmpty();
    assertThat(chunks.subList(1, chunks.size() - 1)).allSatisfy(chunk -> assertThat(chunk
        .path("choices").path(0).path("delta").path("tool_calls").path(0).path("function")
        .path("arguments").asString()).isNotEmpty());
  }

  @Test
  void anEmptyScriptAnswersAClearError() {
    fake.enqueueText("only one");
    turn(request("m", "1"));

    assertThatThrownBy(() -> turn(request("m", "2")))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("HTTP 500: FakeOpenAi: no scripted turn left for chat request #2");
    assertThat(fake.unscriptedRequests()).isEqualTo(1);
  }

  @Test
  void nonStreamingRequestsGetTheAssembledMessageFromTheSameScript() {
    fake.enqueueText("Hel", "lo");

    ObjectNode answer = client.complete(upstream, request("the-model", "hi"));

    assertThat(answer.path("model").asString()).isEqualTo("the-model");
    assertThat(answer.path("choices").path(0).path("message").path("content").asString())
        .isEqualTo("Hello");
    assertThat(answer.path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
    assertThat(answer.path("usage").path("total_tokens").asInt()).isPositive();
  }

  @Test
  void usageIsStreamedWhenAskedFor() {
    fake.enqueueText("x");
    ObjectNode request = request("m", "hi");
    request.putObject("stream_options").put("include_usage", true);

    assertThat(turn(request).usage()).isPresent();
  }

  @Test
  void rawChunksAreSentAsGiven() {
    ObjectNode odd = Chunks.content("id-1", "upstream-model", 7, "raw");
    fake.enqueueChunks(List.of(odd));
    List<ObjectNode> chunks = new ArrayList<>();

    client.stream(upstream, request("m", "hi"), chunks::add);

    assertThat(chunks).extracting(Json.MAPPER::writeValueAsString)
        .containsExactly(Json.MAPPER.writeValueAsString(odd));
  }

  @Test
  void theModelsEndpointListsTheConfiguredIds() {
    fake.models("a", "b");

    assertThat(client.models()).extracting(Model::id).containsExactly("a", "b");
  }
}
