package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/** A kernel channels socket of the tests: every whole frame it receives (text as a String, binary as a ByteBuffer) and how it closed. */
final class ChannelsSocket implements WebSocket.Listener {
  final LinkedBlockingQueue<Object> frames = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

  @Override
  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      frames.add(text.toString());
      text.setLength(0);
    }
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    binary.writeBytes(bytes);
    if (last) {
      frames.add(ByteBuffer.wrap(binary.toByteArray()));
      binary.reset();
    }
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
    closed.complete(code);
    return null;
  }

  /** The next frame within 30 s. */
  Object nextFrame() throws InterruptedException {
    Object frame = frames.poll(30, TimeUnit.SECONDS);
    assertThat(frame).as("a frame within 30 s").isNotNull();
    return frame;
  }

  /** The next frame, a legacy JSON message. */
  JsonNode next() throws InterruptedException {
    Object frame = nextFrame();
    assertThat(frame).as("a text frame").isInstanceOf(String.class);
    return TestServer.JSON.readTree((String) frame);
  }
}
