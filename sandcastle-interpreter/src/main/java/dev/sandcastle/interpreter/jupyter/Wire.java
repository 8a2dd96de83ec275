package dev.sandcastle.interpreter.jupyter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The kernel channels' legacy JSON messages: building requests, decoding text and
 * binary frames, turning iopub messages into {@link Output}s. Pure functions, no I/O.
 */
final class Wire {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String PROTOCOL_VERSION = "5.3";

  private Wire() {}

  /** A request for the {@code shell} channel, with the header the Jupyter docs spell out. */
  static String request(String msgType, String msgId, String session, ObjectNode content) {
    ObjectNode message = JSON.createObjectNode();
    ObjectNode header = message.putObject("header");
    header.put("msg_id", msgId);
    header.put("username", "sandcastle");
    header.put("session", session);
    header.put("msg_type", msgType);
    header.put("version", PROTOCOL_VERSION);
    header.put("date", Instant.now().truncatedTo(ChronoUnit.MICROS).toString());
    message.putObject("parent_header");
    message.putObject("metadata");
    message.set("content", content);
    message.putArray("buffers");
    message.put("channel", "shell");
    return JSON.writeValueAsString(message);
  }

  /** The content of an {@code execute_request}: stored in history, no stdin, stop on error. */
  static ObjectNode executeContent(String code) {
    ObjectNode content = JSON.createObjectNode();
    content.put("code", code);
    content.put("silent", false);
    content.put("store_history", true);
    content.putObject("user_expressions");
    content.put("allow_stdin", false);
    content.put("stop_on_error", true);
    return content;
  }

  /** A text frame's message, or empty when it is not a JSON object. */
  static Optional<JsonNode> parseText(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
    } catch (JacksonException e) {
      return Optional.empty();
    }
  }

  /**
   * A binary frame's message (used by the server when a message carries buffers, e.g. widget
   * comms): a big-endian uint32 count of parts, that many uint32 offsets, then the parts; the
   * first part is the message's JSON. Empty when the frame is malformed.
   */
  static Optional<JsonNode> parseBinary(byte[] frame) {
    if (frame.length < 8) {
      return Optional.empty();
    }
    ByteBuffer buffer = ByteBuffer.wrap(frame);
    long parts = Integer.toUnsignedLong(buffer.getInt(0));
    if (parts < 1 || 4 * (parts + 1) > frame.length) {
      return Optional.empty();
    }
    long start = Integer.toUnsignedLong(buffer.getInt(4));
    long end = parts > 1 ? Integer.toUnsignedLong(buffer.getInt(8)) : frame.length;
    if (start > end || end > frame.length) {
      return Optional.empty();
    }
    return parseText(new String(frame, (int) start, (int) (end - start), StandardCharsets.UTF_8));
  }

  static String msgType(JsonNode message) {
    return message.path("header").path("msg_type").asString(message.path("msg_type").asString(""));
  }

  static String channel(JsonNode message) {
    return message.path("channel").asString("");
  }

  static String parentMsgId(JsonNode message) {
    return message.path("parent_header").path("msg_id").asString("");
  }

  static JsonNode content(JsonNode message) {
    return message.path("content");
  }

  /** The output an iopub message carries; empty for status, execute_input and the like. */
  static Optional<Output> output(JsonNode message) {
    JsonNode content = content(message);
    return switch (msgType(message)) {
      case "stream" -> Optional.of(new Output.Stream(
          content.path("name").asString("stdout"), text(content.path("text"))));
      case "execute_result" -> Optional.of(new Output.Result(
          content.path("execution_count").asInt(0), bundle(content.path("data"))));
      case "display_data" -> {
        Map<String, String> data = bundle(content.path("data"));
        yield data.isEmpty() ? Optional.empty() : Optional.of(new Output.Display(data));
      }
      case "error" -> Optional.of(error(content));
      default -> Optional.empty();
    };
  }

  static Output.Error error(JsonNode content) {
    List<String> traceback = new ArrayList<>();
    for (JsonNode line : content.path("traceback")) {
      traceback.add(line.asString(""));
    }
    return new Output.Error(
        content.path("ename").asString(""), content.path("evalue").asString(""), traceback);
  }

  /** The kept MIME types of a bundle, each as text. */
  static Map<String, String> bundle(JsonNode data) {
    Map<String, String> kept = new HashMap<>();
    for (Map.Entry<String, JsonNode> entry : data.properties()) {
      if (Output.KEPT_MIME_TYPES.contains(entry.getKey())) {
        JsonNode value = entry.getValue();
        kept.put(entry.getKey(), entry.getKey().equals("application/json")
            ? JSON.writeValueAsString(value) : text(value));
      }
    }
    return kept;
  }

  /** A string, or a list of strings joined (the notebook's multi-line form). */
  private static String text(JsonNode value) {
    if (value.isArray()) {
      StringBuilder joined = new StringBuilder();
      for (JsonNode part : value) {
        joined.append(part.asString(""));
      }
      return joined.toString();
    }
    return value.isString() ? value.asString() : value.isMissingNode() || value.isNull() ? "" : value.toString();
  }
}
