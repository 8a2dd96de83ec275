package dev.sandcastle.interpreter.openai;

import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds OpenAI {@code chat.completion.chunk} objects (and a whole {@code chat.completion}) for
 * our own responses, in the shape OpenAI sends them:
 * {@code {"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,
 * "delta":{...},"finish_reason":null}]}}.
 *
 * <p>{@code id} is the completion's id (the same in every chunk of one answer), {@code created}
 * its Unix time in seconds. Pure functions returning fresh nodes; thread-safe.
 */
public final class Chunks {
  private Chunks() {}

  /** The opening chunk OpenAI sends: {@code delta: {"role":"assistant","content":""}}. */
  public static ObjectNode role(String id, String model, long created) {
    ObjectNode chunk = chunk(id, model, created);
    delta(chunk).put("role", "assistant").put("content", "");
    return chunk;
  }

  /** A piece of the answer's text: {@code delta: {"content": text}}. */
  public static ObjectNode content(String id, String model, long created, String text) {
    Objects.requireNonNull(text, "text");
    ObjectNode chunk = chunk(id, model, created);
    delta(chunk).put("content", text);
    return chunk;
  }

  /**
   * A chunk with an empty delta carrying {@code extension} under the extra field {@code name}
   * (OpenAI clients ignore fields they do not know): how Sandcastle's progress events travel.
   */
  public static ObjectNode extension(String id, String model, long created, String name, JsonNode extension) {
    Objects.requireNonNull(extension, "extension");
    ObjectNode chunk = chunk(id, model, created);
    chunk.set(name, extension);
    return chunk;
  }

  /** A piece of reasoning: {@code delta: {"reasoning_content": text}} (DeepSeek's name). */
  public static ObjectNode reasoning(String id, String model, long created, String text) {
    Objects.requireNonNull(text, "text");
    ObjectNode chunk = chunk(id, model, created);
    delta(chunk).put("reasoning_content", text);
    return chunk;
  }

  /**
   * Whole tool calls in one chunk: {@code delta.tool_calls[i] = {"index": firstIndex + i, "id",
   * "type":"function", "function":{"name","arguments"}}}. Use {@code firstIndex} to continue the
   * numbering of calls already sent in the same answer.
   */
  public static ObjectNode toolCalls(
      String id, String model, long created, int firstIndex, List<ToolCall> calls) {
    Objects.requireNonNull(calls, "calls");
    ObjectNode chunk = chunk(id, model, created);
    ArrayNode array = delta(chunk).putArray("tool_calls");
    int index = firstIndex;
    for (ToolCall call : calls) {
      ObjectNode item = array.addObject();
      item.put("index", index++);
      item.put("id", call.id());
      item.put("type", "function");
      item.putObject("function").put("name", call.name()).put("arguments", call.arguments());
    }
    return chunk;
  }

  /** The tool calls numbered from 0. */
  public static ObjectNode toolCalls(String id, String model, long created, List<ToolCall> calls) {
    return toolCalls(id, model, created, 0, calls);
  }

  /** The closing chunk: empty delta and {@code finish_reason} ({@code stop}, {@code tool_calls}, ...). */
  public static ObjectNode finish(String id, String model, long created, String reason) {
    Objects.requireNonNull(reason, "reason");
    ObjectNode chunk = chunk(id, model, created);
    choice(chunk).put("finish_reason", reason);
    return chunk;
  }

  /**
   * The usage chunk OpenAI sends last when asked ({@code stream_options.include_usage}): no
   * choices, and the given {@code usage} object (copied).
   */
  public static ObjectNode usage(String id, String model, long created, JsonNode usage) {
    Objects.requireNonNull(usage, "usage");
    ObjectNode chunk = base(id, model, created, "chat.completion.chunk");
    chunk.putArray("choices");
    chunk.set("usage", usage.deepCopy());
    return chunk;
  }

  /**
   * A whole non-streamed answer: {@code {"id","object":"chat.completion","created","model",
   * "choices":[{"index":0,"message":message,"finish_reason":reason}]}} (the message is copied).
   */
  public static ObjectNode completion(
      String id, String model, long created, ObjectNode message, String finishReason) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(finishReason, "finishReason");
    ObjectNode completion = base(id, model, created, "chat.completion");
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("message", message.deepCopy());
    choice.put("finish_reason", finishReason);
    return completion;
  }

  /**
   * A non-streamed answer turned into one chunk: its message becomes the delta (tool calls get
   * their index), its finish reason and usage are kept. For upstreams that answer a streaming
   * request with plain JSON.
   */
  static ObjectNode fromCompletion(ObjectNode completion) {
    ObjectNode chunk = base(completion.path("id").asString(""), completion.path("model").asString(""),
        completion.path("created").asLong(0), "chat.completion.chunk");
    ArrayNode choices = chunk.putArray("choices");
    for (JsonNode choice : completion.path("choices")) {
      ObjectNode item = choices.addObject();
      item.put("index", choice.path("index").asInt(0));
      JsonNode message = choice.path("message");
      ObjectNode delta = message instanceof ObjectNode object ? object.deepCopy()
          : Json.MAPPER.createObjectNode();
      int index = 0;
      for (JsonNode call : delta.path("tool_calls")) {
        if (call instanceof ObjectNode object && !object.has("index")) {
          object.put("index", index);
        }
        index++;
      }
      item.set("delta", delta);
      if (choice.path("finish_reason").isString()) {
        item.put("finish_reason", choice.path("finish_reason").asString());
      } else {
        item.putNull("finish_reason");
      }
    }
    if (completion.path("usage").isObject()) {
      chunk.set("usage", completion.get("usage").deepCopy());
    }
    return chunk;
  }

  private static ObjectNode chunk(String id, String model, long created) {
    ObjectNode chunk = base(id, model, created, "chat.completion.chunk");
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("delta");
    choice.putNull("finish_reason");
    return chunk;
  }

  private static ObjectNode base(String id, String model, long created, String object) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(model, "model");
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", id);
    node.put("object", object);
    node.put("created", created);
    node.put("model", model);
    return node;
  }

  private static ObjectNode choice(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0);
  }

  private static ObjectNode delta(ObjectNode chunk) {
    return (ObjectNode) choice(chunk).get("delta");
  }
}
