package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class ChunksTest {

  private static String json(Object node) {
    return Json.MAPPER.writeValueAsString(node);
  }

  @Test
  void chunksHaveOpenAisShape() {
    assertThat(json(Chunks.content("chatcmpl-1", "m", 1700000000L, "Hi")))
        .isEqualTo("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}");
    assertThat(json(Chunks.finish("c", "m", 1, "stop")))
        .contains("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]");
    assertThat(json(Chunks.role("c", "m", 1)))
        .contains("\"delta\":{\"role\":\"assistant\",\"content\":\"\"}");
    assertThat(json(Chunks.reasoning("c", "m", 1, "hmm")))
        .contains("\"delta\":{\"reasoning_content\":\"hmm\"}");
    assertThat(json(Chunks.usage("c", "m", 1,
        Json.MAPPER.createObjectNode().put("total_tokens", 3))))
        .isEqualTo("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
            + "\"m\",\"choices\":[],\"usage\":{\"total_tokens\":3}}");
  }

  @Test
  void toolCallChunksAreNumberedAndReadBackByTheAccumulator() {
    ObjectNode chunk = Chunks.toolCalls("c", "m", 1, 2, List.of(
        new ToolCall("a", "f", "{\"x\":1}"), new ToolCall("b", "g", "{}")));
    assertThat(json(chunk)).contains("\"tool_calls\":[{\"index\":2,\"id\":\"a\",\"type\":"
        + "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}},"
        + "{\"index\":3,");

    ToolCallAccumulator turn = new ToolCallAccumulator();
    turn.add(chunk);
    assertThat(turn.toolCalls())
        .containsExactly(new ToolCall("a", "f", "{\"x\":1}"), new ToolCall("b", "g", "{}"));
  }

  @Test
  void anExtensionRidesBesideAnEmptyDelta() {
    ObjectNode event = Json.MAPPER.createObjectNode().put("type", "code_started");
    assertThat(json(Chunks.extension("c", "m", 5, "sandcastle", event))).isEqualTo(
        "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"delta\":{},\"finish_reason\":null}],\"sandcastle\":{\"type\":\"code_started\"}}");
  }

  @Test
  void aCompletionWrapsTheMessage() {
    ObjectNode message = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "ok");
    assertThat(json(Chunks.completion("c", "m", 5, message, "stop"))).isEqualTo(
        "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":5,\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
            + "\"finish_reason\":\"stop\"}]}");
  }

  @Test
  void theWriterWritesOneFlushedDataEventPerChunkAndTheEndMarker() {
    List<String> flushed = new ArrayList<>();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputStream out = new OutputStream() {
      @Override
      public void write(int b) {
        bytes.write(b);
      }

      @Override
      public void flush() {
        flushed.add(bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
      }
    };
    SseWriter writer = new SseWriter(out);

    writer.data(Chunks.content("c", "m", 1, "line one\nline two"));
    writer.comment("keep-alive");
    writer.event("sandcastle.code", Json.MAPPER.createObjectNode().put("status", "started"));
    writer.done();

    assertThat(flushed).containsExactly(
        "data: " + json(Chunks.content("c", "m", 1, "line one\nline two")) + "\n\n",
        ": keep-alive\n\n",
        "event: sandcastle.code\ndata: {\"status\":\"started\"}\n\n",
        "data: [DONE]\n\n");
    assertThat(flushed.getFirst()).as("the JSON stays on one line").containsOnlyOnce("\n\n")
        .endsWith("\n\n").doesNotContain("e\nl");
  }

  @Test
  void aWriterWhoseClientLeftThrowsUnchecked() {
    SseWriter writer = new SseWriter(new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("Broken pipe");
      }
    });

    assertThatThrownBy(writer::done).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> writer.event("two\nlines", Json.MAPPER.createObjectNode()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
