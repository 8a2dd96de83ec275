package dev.sandcastle.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A test WebSocket client that collects what it receives and how it was closed. */
final class Socket implements WebSocket.Listener {
  private final StringBuffer received = new StringBuffer();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  volatile String closeReason = "";
  final WebSocket socket;

  /** Whole text messages, in order. */
  final java.util.concurrent.LinkedBlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
  private final StringBuilder partial = new StringBuilder();

  Socket(String url) {
    this(url, java.util.Map.of());
  }

  Socket(String url, java.util.Map<String, String> headers) {
    try {
      WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
      headers.forEach(builder::header);
      socket = builder.buildAsync(URI.create(url), this).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot connect to " + url, e);
    }
  }

  void text(String message) {
    socket.sendText(message, true).join();
  }

  void bytes(String keys) {
    socket.sendBinary(ByteBuffer.wrap(keys.getBytes(StandardCharsets.UTF_8)), true).join();
  }

  String received() {
    return received.toString();
  }

  int closeCode() throws Exception {
    return closed.get(15, TimeUnit.SECONDS);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    received.append(data);
    partial.append(data);
    if (last) {
      messages.add(partial.toString());
      partial.setLength(0);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    received.append(StandardCharsets.UTF_8.decode(data));
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closeReason = reason;
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(-1);
  }
}
