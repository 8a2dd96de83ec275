package dev.sandcastle.api;

import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a Jupyter channels socket carries kernel messages, chosen per socket at its upgrade:
 *
 * <ul>
 *   <li>{@link #V1}, when the client offers the subprotocol {@value #V1_NAME} (JupyterLab and
 *       {@code @jupyterlab/services} do): every message is one binary frame made of a table of
 *       little-endian unsigned 64-bit numbers, then the parts. The first number {@code n} counts
 *       the offsets that follow it; offset 0 is where the channel name starts, offset 1 where it
 *       ends and the header starts, then the ends of the header, parent header, metadata and
 *       content (JSON, UTF-8), then the end of each binary buffer. So {@code n >= 6}.
 *   <li>{@link #LEGACY} otherwise: one JSON text frame per message, with {@code channel},
 *       {@code header}, {@code parent_header}, {@code metadata}, {@code content} and
 *       {@code buffers} (Open WebUI's engine and most scripts). Clients may also send the legacy
 *       binary form (a big-endian uint32 count and offsets, the JSON message first, then buffers).
 * </ul>
 *
 * <p>Decoding checks every length and offset against the frame before reading anything, so a
 * malformed frame is a {@link Malformed} (the route closes the socket with 1007), never an
 * exception from deep inside or an allocation the frame's numbers asked for. Binary buffers
 * that clients attach are not kept: the workspace kernels have no use for them.
 */
enum KernelWire {
  LEGACY,
  V1;

  /** The subprotocol of the binary protocol, as Jupyter Server names it. */
  static final String V1_NAME = "v1.kernel.websocket.jupyter.org";
  static final String PROTOCOL_HEADER = "Sec-WebSocket-Protocol";
  /** The channels a client may address. */
  static final Set<String> CHANNELS = Set.of("shell", "control", "stdin", "iopub");
  /** More offsets than this (a few hundred buffers) is not a message a client sends. */
  private static final long MAX_OFFSETS = 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A kernel message, whichever way it travelled. */
  record Message(String channel, ObjectNode header, JsonNode parentHeader, JsonNode metadata, JsonNode content) {
    String type() {
      return header.path("msg_type").asString("");
    }
  }

  /** What goes out on the socket: a text frame (legacy) or a binary one (v1). */
  sealed interface Frame {
    record Text(String text) implements Frame {}

    record Binary(ByteBuffer bytes) implements Frame {}
  }

  /** A frame that is not a kernel message; its text is safe to send back as a close reason. */
  static final class Malformed extends RuntimeException {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /** The wire for a socket whose client offered these subprotocols (the request header, if any). */
  static KernelWire offered(Optional<String> protocols) {
    return protocols.map(list -> Arrays.stream(list.split(",")).map(String::trim).anyMatch(V1_NAME::equals)).orElse(false) ? V1 : LEGACY;
  }

  /** The subprotocol to accept, if any. */
  Optional<String> subprotocol() {
    return this == V1 ? Optional.of(V1_NAME) : Optional.empty();
  }

  /**
   * Answers a WebSocket upgrade's subprotocol offer: on a kernel channels path {@value #V1_NAME}
   * when offered, and on every path nothing else. (Javalin echoes whichever protocol a client
   * offers first; a client told we speak a protocol we do not would wait for ever.) Runs before
   * the upgrade of every socket of the server.
   */
  static void answerUpgrade(Context ctx) {
    String offer = ctx.header(PROTOCOL_HEADER);
    if (offer == null) {
      return;
    }
    Optional<String> accepted = Access.isKernelChannelsPath(ctx.path()) ? offered(Optional.of(offer)).subprotocol() : Optional.empty();
    ctx.res().setHeader(PROTOCOL_HEADER, accepted.orElse(null));
  }

  /** Decodes a text frame (legacy only: a v1 client sends binary frames). */
  Message decode(String text) {
    if (this == V1) {
      throw new Malformed("this socket speaks " + V1_NAME + ": send binary frames");
    }
    return fromJson(parse(text, "the message"));
  }

  /** Decodes a binary frame. */
  Message decode(ByteBuffer frame) {
    ByteBuffer data = frame.slice();
    return this == V1 ? decodeV1(data) : decodeLegacyBinary(data);
  }

  /** Encodes a message for this wire. */
  Frame encode(Message message) {
    if (this == LEGACY) {
      ObjectNode node = JSON.createObjectNode();
      node.set("header", message.header());
      node.put("msg_id", message.header().path("msg_id").asString(""));
      node.put("msg_type", message.type());
      node.set("parent_header", message.parentHeader());
      node.set("metadata", message.metadata());
      node.set("content", message.content());
      node.putArray("buffers");
      node.put("channel", message.channel());
      return new Frame.Text(JSON.writeValueAsString(node));
    }
    byte[][] parts = {
      message.channel().getBytes(StandardCharsets.UTF_8),
      JSON.writeValueAsBytes(message.header()),
      JSON.writeValueAsBytes(message.parentHeader()),
      JSON.writeValueAsBytes(message.metadata()),
      JSON.writeValueAsBytes(message.content())
    };
    int offsets = parts.length + 1;
    int tableBytes = 8 * (1 + offsets);
    int total = tableBytes + Arrays.stream(parts).mapToInt(p -> p.length).sum();
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(offsets);
    long position = tableBytes;
    out.putLong(position);
    for (byte[] part : parts) {
      position += part.length;
      out.putLong(position);
    }
    for (byte[] part : parts) {
      out.put(part);
    }
    return new Frame.Binary(out.flip());
  }

  private static Message decodeV1(ByteBuffer data) {
    data.order(ByteOrder.LITTLE_ENDIAN);
    int length = data.remaining();
    if (length < 8) {
      throw new Malformed("a binary message must start with its offset count (8 bytes)");
    }
    long count = data.getLong(0);
    if (count < 6 || count > MAX_OFFSETS || 8 * (count + 1) > length) {
      throw new Malformed("the offset count " + Long.toUnsignedString(count) + " does not fit a message of " + length + " bytes");
    }
    int n = (int) count;
    long[] offsets = new long[n];
    for (int i = 0; i < n; i++) {
      offsets[i] = data.getLong(8 * (i + 1));
      long floor = i == 0 ? 8L * (n + 1) : offsets[i - 1];
      if (offsets[i] < floor || offsets[i] > length) { // unsigned values past 2^63 are negative here: refused too
        throw new Malformed("offset " + i + " lies outside the message or before the previous one");
      }
    }
    String channel = utf8(data, offsets[0], offsets[1], "the channel");
    ObjectNode header = object(data, offsets[1], offsets[2], "the header");
    JsonNode parent = parse(utf8(data, offsets[2], offsets[3], "the parent header"), "the parent header");
    JsonNode metadata = parse(utf8(data, offsets[3], offsets[4], "the metadata"), "the metadata");
    JsonNode content = parse(utf8(data, offsets[4], offsets[5], "the content"), "the content");
    return message(channel, header, parent, metadata, content);
  }

  private static Message decodeLegacyBinary(ByteBuffer data) {
    data.order(ByteOrder.BIG_ENDIAN);
    int length = data.remaining();
    if (length < 8) {
      throw new Malformed("a binary message must start with its buffer count and first offset");
    }
    long count = Integer.toUnsignedLong(data.getInt(0));
    if (count < 1 || count > MAX_OFFSETS || 4 * (count + 1) > length) {
      throw new Malformed("the buffer count " + count + " does not fit a message of " + length + " bytes");
    }
    long start = Integer.toUnsignedLong(data.getInt(4));
    long end = count > 1 ? Integer.toUnsignedLong(data.getInt(8)) : length;
    if (start < 4 * (count + 1) || end < start || end > length) {
      throw new Malformed("the message part lies outside the frame");
    }
    return fromJson(parse(utf8(data, start, end, "the message"), "the message"));
  }

  private static Message fromJson(JsonNode node) {
    if (!node.isObject() || !node.path("header").isObject()) {
      throw new Malformed("a message is a JSON object with a header object");
    }
    return message(node.path("channel").asString("shell"), (ObjectNode) node.get("header"), node.path("parent_header"),
        node.path("metadata"), node.path("content"));
  }

  private static Message message(String channel, ObjectNode header, JsonNode parent, JsonNode metadata, JsonNode content) {
    if (!CHANNELS.contains(channel)) {
      throw new Malformed("unknown channel: " + (channel.length() > 32 ? channel.substring(0, 32) + "..." : channel));
    }
    if (!header.path("msg_type").isString() || !header.path("msg_id").isString()) {
      throw new Malformed("the header needs msg_id and msg_type strings");
    }
    return new Message(channel, header, parent.isObject() ? parent : JSON.createObjectNode(),
        metadata.isObject() ? metadata : JSON.createObjectNode(), content.isObject() ? content : JSON.createObjectNode());
  }

  private static ObjectNode object(ByteBuffer data, long from, long to, String what) {
    JsonNode node = parse(utf8(data, from, to, what), what);
    if (!node.isObject()) {
      throw new Malformed(what + " must be a JSON object");
    }
    return (ObjectNode) node;
  }

  private static String utf8(ByteBuffer data, long from, long to, String what) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(data.slice((int) from, (int) (to - from))).toString();
    } catch (CharacterCodingException e) {
      throw new Malformed(what + " is not UTF-8");
    }
  }

  private static JsonNode parse(String text, String what) {
    if (text.isEmpty()) {
      throw new Malformed(what + " is empty");
    }
    try {
      return JSON.readTree(text);
    } catch (JacksonException e) {
      throw new Malformed(what + " is not JSON");
    }
  }
}
