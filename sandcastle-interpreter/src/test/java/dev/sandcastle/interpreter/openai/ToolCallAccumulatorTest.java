package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class ToolCallAccumulatorTest {

  private static ObjectNode chunk(String json) {
    return (ObjectNode) Json.MAPPER.readTree(json);
  }

  private static ObjectNode delta(String deltaJson) {
    return chunk("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        + "\"delta\":" + deltaJson + ",\"finish_reason\":null}]}");
  }

  private static ObjectNode finish(String reason) {
    return chunk("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"" + reason + "\"}]}");
  }

  private static ToolCallAccumulator feed(ObjectNode... chunks) {
    ToolCallAccumulator turn = new ToolCallAccumulator();
    for (ObjectNode chunk : chunks) {
      turn.add(chunk);
    }
    return turn;
  }

  @Test
  void nameAndArgumentsSplitOverManyChunksMakeOneCall() {
    ToolCallAccumulator turn = feed(
        delta("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
            + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"execute_\","
            + "\"arguments\":\"\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"code\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"co\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"de\\\": \\\"pr\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"int(1)\\\"}\"}}]}"),
        finish("tool_calls"));

    assertThat(turn.toolCalls())
        .containsExactly(new ToolCall("call_1", "execute_code", "{\"code\": \"print(1)\"}"));
    assertThat(turn.finishReason()).contains("tool_calls");
    assertThat(turn.content()).isEmpty();
  }

  @Test
  void twoParallelCallsInterleavedByIndexStaySeparateAndOrdered() {
    ToolCallAccumulator turn = feed(
        delta("{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"type\":\"function\","
            + "\"function\":{\"name\":\"second\",\"arguments\":\"{\\\"y\\\":\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
            + "\"function\":{\"name\":\"first\",\"arguments\":\"{\\\"x\\\":\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"2}\"}},"
            + "{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}"),
        finish("tool_calls"));

    assertThat(turn.toolCalls()).containsExactly(
        new ToolCall("a", "first", "{\"x\":1}"), new ToolCall("b", "second", "{\"y\":2}"));
  }

  @Test
  void aWholeCallInOneChunkIsTakenAsIs() {
    ToolCallAccumulator turn = feed(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"role\":"
        + "\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\","
        + "\"function\":{\"name\":\"execute_code\",\"arguments\":\"{\\\"code\\\":\\\"1+1\\\"}\"}}]},"
        + "\"finish_reason\":\"tool_calls\"}]}"));

    assertThat(turn.toolCalls())
        .containsExactly(new ToolCall("call_9", "execute_code", "{\"code\":\"1+1\"}"));
    assertThat(turn.finishReason()).contains("tool_calls");
  }

  @Test
  void aNameRepeatedInEveryFragmentIsNotDoubled() {
    ToolCallAccumulator turn = feed(
        delta("{\"tool_calls\":[{\"index\":0,\"id\":\"x\",\"function\":{\"name\":\"run\","
            + "\"arguments\":\"{\"}}]}"),
        delta("{\"tool_calls\":[{\"index\":0,\"id\":\"x\",\"function\":{\"name\":\"run\","
            + "\"arguments\":\"}\"}}]}"));

    assertThat(turn.toolCalls()).containsExactly(new ToolCall("x", "run", "{}"));
  }

  @Test
  void callsWithoutIndexAreToldApartByTheirIds() {
    ToolCallAccumulator turn = feed(
        delta("{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}"),
        delta("{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]}"),
        delta("{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":{\"k\":1}}}]}"));

    assertThat(turn.toolCalls())
        .containsExactly(new ToolCall("a", "f", "{}"), new ToolCall("b", "g", "{\"k\":1}"));
  }

  @Test
  void aCallWithoutIdGetsAGeneratedOneThatStaysTheSame() {
    ToolCallAccumulator turn = feed(
        delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}"));

    String id = turn.toolCalls().getFirst().id();
    assertThat(id).startsWith("call_").hasSizeGreaterThan(10);
    assertThat(turn.toolCalls().getFirst().id()).isEqualTo(id);
    assertThat(turn.message().path("tool_calls").path(0).path("id").asString()).isEqualTo(id);
  }

  @Test
  void contentReasoningFinishReasonAndUsageAreCollected() {
    ToolCallAccumulator turn = feed(
        delta("{\"role\":\"assistant\",\"content\":\"\"}"),
        delta("{\"reasoning_content\":\"Let me \"}"),
        delta("{\"reasoning\":\"think.\"}"),
        // vLLM sent both names with the same text for a while: counted once
        delta("{\"reasoning_content\":\" Done.\",\"reasoning\":\" Done.\"}"),
        delta("{\"content\":\"The answer \"}"),
        delta("{\"content\":\"is 42.\"}"),
        finish("stop"),
        chunk("{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
            + "\"total_tokens\":12}}"));

    assertThat(turn.content()).isEqualTo("The answer is 42.");
    assertThat(turn.reasoning()).isEqualTo("Let me think. Done.");
    assertThat(turn.finishReason()).contains("stop");
    assertThat(turn.hasToolCalls()).isFalse();
    assertThat(turn.usage()).get().extracting(u -> u.path("total_tokens").asInt()).isEqualTo(12);
    assertThat(Json.MAPPER.writeValueAsString(turn.message()))
        .isEqualTo("{\"role\":\"assistant\",\"content\":\"The answer is 42.\"}");
  }

  @Test
  void theAssistantMessageCarriesTheToolCallsForTheNextRound() {
    ToolCallAccumulator turn = new ToolCallAccumulator();
    turn.add(Chunks.toolCalls("id", "m", 1, List.of(new ToolCall("c1", "execute_code", "{}"))));
    turn.add(Chunks.finish("id", "m", 1, "tool_calls"));

    assertThat(Json.MAPPER.writeValueAsString(turn.message())).isEqualTo(
        "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"c1\",\"type\":"
            + "\"function\",\"function\":{\"name\":\"execute_code\",\"arguments\":\"{}\"}}]}");
  }

  @Test
  void chunksItDoesNotUnderstandAreIgnored() {
    ToolCallAccumulator turn = feed(chunk("{}"), chunk("{\"choices\":\"x\"}"),
        chunk("{\"choices\":[{\"delta\":{\"tool_calls\":[1,\"x\"]}}]}"));

    assertThat(turn.toolCalls()).isEmpty();
    assertThat(turn.finishReason()).isEmpty();
  }
}
