package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The channels socket's two wires, byte by byte: the subprotocol a client is told, Jupyter
 * Server's binary v1 frames, and what a malformed frame does (a clean close, the server carrying
 * on), which a real client never shows.
 */
@Tag("bwrap")
class KernelWireProtocolTest {
  private static TestServer server;
  private static String kernel;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
    kernel = server.post("/api/kernels", Map.of()).json().path("id").asString();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static WebSocket open(String path, ChannelsSocket frames, String... protocols) {
    WebSocket.Builder builder = server.client.newWebSocketBuilder();
    if (protocols.length > 0) {
      builder.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
    }
    return builder.buildAsync(URI.create("ws://127.0.0.1:" + server.port() + path + "?token=" + TestServer.KEY), frames).join();
  }

  /** A v1 frame with these parts after the channel, laid out as Jupyter Server lays them out. */
  static ByteBuffer v1(String channel, String... parts) {
    List<byte[]> all = new ArrayList<>();
    all.add(channel.getBytes(StandardCharsets.UTF_8));
    for (String part : parts) {
      all.add(part.getBytes(StandardCharsets.UTF_8));
    }
    int offsets = all.size() + 1;
    int table = 8 * (offsets + 1);
    ByteBuffer out = ByteBuffer.allocate(table + all.stream().mapToInt(p -> p.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(offsets);
    long at = table;
    out.putLong(at);
    for (byte[] part : all) {
      at += part.length;
      out.putLong(at);
    }
    all.forEach(out::put);
    return out.flip();
  }

  /** Reads a v1 frame the way a client does: channel, header, parent header, metadata, content. */
  static List<String> parts(ByteBuffer frame) {
    ByteBuffer data = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) data.getLong(0);
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < n - 1; i++) {
      int from = (int) data.getLong(8 * (i + 1));
      int to = (int) data.getLong(8 * (i + 2));
      byte[] bytes = new byte[to - from];
      data.get(from, bytes);
      parts.add(new String(bytes, StandardCharsets.UTF_8));
    }
    return parts;
  }

  static String header(String msgId, String type) {
    return TestServer.JSON.writeValueAsString(Map.of("msg_id", msgId, "msg_type", type, "username", "u", "session", "s",
        "date", "", "version", "5.3"));
  }

  private static String channels() {
    return "/api/kernels/" + kernel + "/channels";
  }

  @Test
  void aClientOfferingV1GetsItAndBinaryChannelsSocketBothWays() throws Exception {
    ChannelsSocket frames = new ChannelsSocket();
    WebSocket socket = open(channels(), frames, "v1.kernel.websocket.jupyter.org");
    assertThat(socket.getSubprotocol()).isEqualTo("v1.kernel.websocket.jupyter.org");

    String id = UUID.randomUUID().toString();
    String code = TestServer.JSON.writeValueAsString(Map.of("code", "print('é')\n6 * 7", "silent", false));
    socket.sendBinary(v1("shell", header(id, "execute_request"), "{}", "{}", code), true).join();
    String printed = null;
    String result = null;
    boolean replied = false;
    while (!replied) {
      Object frame = frames.nextFrame();
      assertThat(frame).as("v1 replies are binary frames").isInstanceOf(ByteBuffer.class);
      List<String> parts = parts((ByteBuffer) frame);
      var head = TestServer.JSON.readTree(parts.get(1));
      var parent = TestServer.JSON.readTree(parts.get(2));
      var content = TestServer.JSON.readTree(parts.get(4));
      assertThat(parent.path("msg_id").asString()).isEqualTo(id);
      switch (head.path("msg_type").asString()) {
        case "stream" -> {
          assertThat(parts.getFirst()).isEqualTo("iopub");
          printed = content.path("text").asString();
        }
        case "execute_result" -> result = content.path("data").path("text/plain").asString();
        case "execute_reply" -> {
          assertThat(parts.getFirst()).isEqualTo("shell");
          assertThat(content.path("status").asString()).isEqualTo("ok");
          replied = true;
        }
        default -> { }
      }
    }
    assertThat(printed).isEqualTo("é\n");
    assertThat(result).isEqualTo("42");
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
  }

  @Test
  void otherOffersGetNoSubprotocolAndTheLegacyWire() throws Exception {
    ChannelsSocket frames = new ChannelsSocket();
    WebSocket socket = open(channels(), frames, "v2.kernel.websocket.jupyter.org", "chat");
    assertThat(socket.getSubprotocol()).as("no protocol we do not speak is accepted").isEmpty();
    String id = UUID.randomUUID().toString();
    socket.sendText(TestServer.JSON.writeValueAsString(Map.of("header", TestServer.JSON.readTree(header(id, "kernel_info_request")),
        "parent_header", Map.of(), "metadata", Map.of(), "content", Map.of(), "channel", "shell")), true).join();
    while (true) {
      Object frame = frames.nextFrame();
      assertThat(frame).isInstanceOf(String.class);
      var message = TestServer.JSON.readTree((String) frame);
      if (message.path("msg_type").asString().equals("kernel_info_reply")) {
        assertThat(message.path("parent_header").path("msg_id").asString()).isEqualTo(id);
        break;
      }
    }
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();

    // A terminal socket speaks no subprotocol either, whatever is offered.
    ChannelsSocket terminal = new ChannelsSocket();
    WebSocket other = server.client.newWebSocketBuilder().subprotocols("v1.kernel.websocket.jupyter.org")
        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/terminals/none"), terminal).join();
    assertThat(other.getSubprotocol()).isEmpty();
    other.abort();
  }

  @Test
  void malformedChannelsSocketCloseTheSocketCleanlyAndTheServerCarriesOn() throws Exception {
    String header = header("m", "kernel_info_request");
    ByteBuffer hugeCount = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
    ByteBuffer pastTheEnd = v1("shell", header, "{}", "{}", "{}");
    pastTheEnd.putLong(8 * 3, 1L << 40);
    ByteBuffer backwards = v1("shell", header, "{}", "{}", "{}");
    backwards.putLong(8 * 3, 9);
    List<ByteBuffer> bad = List.of(
        ByteBuffer.wrap(new byte[] {1, 2, 3}),                       // shorter than the count
        hugeCount,                                                   // 2^64-1 offsets
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 6).putLong(8, 56), // a table longer than the frame
        pastTheEnd,                                                  // an offset past the end
        backwards,                                                   // offsets going backwards
        v1("shell", "{not json", "{}", "{}", "{}"),                  // a header that is not JSON
        v1("shell", "[1]", "{}", "{}", "{}"),                        // a header that is not an object
        v1("bogus", header, "{}", "{}", "{}"),                       // no such channel
        v1("shell", header, "{}", "{}"));                            // too few parts
    for (ByteBuffer frame : bad) {
      ChannelsSocket frames = new ChannelsSocket();
      WebSocket socket = open(channels(), frames, "v1.kernel.websocket.jupyter.org");
      socket.sendBinary(frame, true).join();
      assertThat(frames.closed.get(10, TimeUnit.SECONDS)).as("closed as invalid data").isEqualTo(1007);
    }
    ChannelsSocket text = new ChannelsSocket();
    open(channels(), text, "v1.kernel.websocket.jupyter.org").sendText("{\"header\":{}}", true).join();
    assertThat(text.closed.get(10, TimeUnit.SECONDS)).as("a v1 socket takes binary frames only").isEqualTo(1007);

    ChannelsSocket huge = new ChannelsSocket();
    WebSocket big = open(channels(), huge, "v1.kernel.websocket.jupyter.org");
    big.sendBinary(ByteBuffer.allocate(KernelChannels.MAX_MESSAGE + 1), true);
    assertThat(huge.closed.get(10, TimeUnit.SECONDS)).as("a message over the limit").isEqualTo(1009);

    assertThat(server.get("/api/kernels/" + kernel).status()).as("the kernel is still there").isEqualTo(200);
    aClientOfferingV1GetsItAndBinaryChannelsSocketBothWays();
  }
}
