package dev.sandcastle.interpreter.openai;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Assembles one streamed assistant turn from its chunks: the text, the reasoning, the tool
 * calls and the finish reason. Only the first choice ({@code choices[0]}) is read.
 *
 * <p>Tool-call fragments ({@code delta.tool_calls[]}) are merged by their {@code index}: the
 * first non-empty {@code id} and {@code type} win, {@code function.name} pieces are joined (a
 * piece equal to the whole name so far is taken as a repetition, which some providers send with
 * every fragment), {@code function.arguments} pieces are joined (an argument sent as a JSON object
 * instead of a string is written out as text). A fragment without an index continues the last
 * call, or starts a new one when it carries an id the last call does not have. A call that never
 * got an id gets a generated {@code call_...} one. Reasoning is read from {@code
 * delta.reasoning_content}, or else {@code delta.reasoning}. The last {@code usage} object seen is
 * kept.
 *
 * <p>Not thread-safe: feed it from the thread reading the stream. Never fails on odd chunks;
 * what it does not understand it ignores.
 */
public final class ToolCallAccumulator {
  private final StringBuilder content = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final List<Partial> calls = new ArrayList<>();
  private String finishReason;
  private JsonNode usage;

  private static final class Partial {
    final int index;
    String id = "";
    String type = "";
    final StringBuilder name = new StringBuilder();
    final StringBuilder arguments = new StringBuilder();

    Partial(int index) {
      this.index = index;
    }
  }

  /** Takes in one chunk. */
  public void add(JsonNode chunk) {
    JsonNode usageNode = chunk.path("usage");
    if (usageNode.isObject()) {
      usage = usageNode;
    }
    JsonNode choice = chunk.path("choices").path(0);
    if (!choice.isObject()) {
      return;
    }
    JsonNode delta = choice.path("delta");
    if (!delta.isObject()) {
      delta = choice.path("message"); // a whole message in one chunk, as a few servers do
    }
    if (delta.path("content").isString()) {
      content.append(delta.path("content").asString());
    }
    if (delta.path("reasoning_content").isString()) {
      reasoning.append(delta.path("reasoning_content").asString());
    } else if (delta.path("reasoning").isString()) {
      reasoning.append(delta.path("reasoning").asString());
    }
    for (JsonNode fragment : delta.path("tool_calls")) {
      if (fragment.isObject()) {
        merge(fragment);
      }
    }
    JsonNode finish = choice.path("finish_reason");
    if (finish.isString() && !finish.asString().isEmpty()) {
      finishReason = finish.asString();
    }
  }

  /** The text so far (empty when none). */
  public String content() {
    return content.toString();
  }

  /** The reasoning text so far (empty when none). */
  public String reasoning() {
    return reasoning.toString();
  }

  /** The last finish reason seen ({@code stop}, {@code tool_calls}, {@code length}, ...). */
  public Optional<String> finishReason() {
    return Optional.ofNullable(finishReason);
  }

  /** The last {@code usage} object seen. */
  public Optional<JsonNode> usage() {
    return Optional.ofNullable(usage);
  }

  /** True when at least one tool call began. */
  public boolean hasToolCalls() {
    return !calls.isEmpty();
  }

  /** The tool calls so far, ordered by index, each with what arrived of it. */
  public List<ToolCall> toolCalls() {
    List<ToolCall> result = new ArrayList<>(calls.size());
    for (Partial call : sorted()) {
      if (call.id.isEmpty()) {
        call.id = "call_" + HexFormat.of().formatHex(randomBytes());
      }
      result.add(new ToolCall(call.id, call.name.toString(), call.arguments.toString()));
    }
    return List.copyOf(result);
  }

  /**
   * The turn as an assistant message for the conversation: {@code role}, {@code content} (the
   * text, possibly empty), and {@code tool_calls} when there are any.
   */
  public ObjectNode message() {
    ObjectNode message = Json.MAPPER.createObjectNode();
    message.put("role", "assistant");
    message.put("content", content.toString());
    if (hasToolCalls()) {
      ArrayNode array = message.putArray("tool_calls");
      for (ToolCall call : toolCalls()) {
        ObjectNode item = array.addObject();
        item.put("id", call.id());
        item.put("type", "function");
        item.putObject("function").put("name", call.name()).put("arguments", call.arguments());
      }
    }
    return message;
  }

  private void merge(JsonNode fragment) {
    Partial call = target(fragment);
    String id = fragment.path("id").asString("");
    if (call.id.isEmpty() && !id.isEmpty()) {
      call.id = id;
    }
    String type = fragment.path("type").asString("");
    if (call.type.isEmpty() && !type.isEmpty()) {
      call.type = type;
    }
    JsonNode function = fragment.path("function");
    String name = function.path("name").isString() ? function.path("name").asString() : "";
    if (!name.isEmpty() && !name.contentEquals(call.name)) {
      call.name.append(name);
    }
    JsonNode arguments = function.path("arguments");
    if (arguments.isString()) {
      call.arguments.append(arguments.asString());
    } else if (arguments.isObject()) {
      call.arguments.append(Json.MAPPER.writeValueAsString(arguments));
    }
  }

  private Partial target(JsonNode fragment) {
    JsonNode index = fragment.path("index");
    if (index.isIntegralNumber()) {
      int wanted = index.asInt();
      for (Partial call : calls) {
        if (call.index == wanted) {
          return call;
        }
      }
      return open(wanted);
    }
    String id = fragment.path("id").asString("");
    Partial last = calls.isEmpty() ? null : calls.getLast();
    if (last == null || !id.isEmpty() && !last.id.isEmpty() && !last.id.equals(id)) {
      int next = calls.stream().mapToInt(call -> call.index + 1).max().orElse(0);
      return open(next);
    }
    return last;
  }

  private Partial open(int index) {
    Partial call = new Partial(index);
    calls.add(call);
    return call;
  }

  private List<Partial> sorted() {
    List<Partial> copy = new ArrayList<>(calls);
    copy.sort((a, b) -> Integer.compare(a.index, b.index));
    return copy;
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[12];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }
}
