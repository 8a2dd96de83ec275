package dev.sandcastle.orchestrator.proxy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket client (the JDK's) as a browser would be: it collects whole messages, counts
 * binary bytes, records pings and how the server closed it. A stalled client takes only the
 * frames it has asked for, so TCP pushes back on the server.
 */
final class TestSocket implements WebSocket.Listener, AutoCloseable {
  record Close(int code, String reason) {}

  final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
  final BlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
  final BlockingQueue<String> pings = new LinkedBlockingQueue<>();
  final AtomicLong binaryBytes = new AtomicLong();
  final CompletableFuture<Close> closed = new CompletableFuture<>();
  private final boolean stalled;
  private final StringBuilder text = new StringBuilder();
  private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
  private WebSocket socket;

  private TestSocket(boolean stalled) {
    this.stalled = stalled;
  }

  static TestSocket connect(HttpClient http, URI uri, boolean stalled, String... headers) {
    TestSocket client = new TestSocket(stalled);
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    client.socket = builder.buildAsync(uri, client).join();
    return client;
  }

  void send(String message) {
    socket.sendText(message, true).join();
  }

  void send(byte[] message) {
    socket.sendBinary(ByteBuffer.wrap(message), true).join();
  }

  /** Asks for every frame still to come (a stalled client starts reading). */
  void readAll() {
    socket.request(Long.MAX_VALUE);
  }

  String nextText() throws InterruptedException {
    String next = texts.poll(10, TimeUnit.SECONDS);
    if (next == null) {
      throw new AssertionError("no text message within 10 s" + (closed.isDone() ? "; closed with " + closed.join() : ""));
    }
    return next;
  }

  void closeWith(int code, String reason) {
    socket.sendClose(code, reason).join();
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      texts.add(text.toString());
      text.setLength(0);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    binaryBytes.addAndGet(data.remaining());
    if (binary != null) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      binary.writeBytes(bytes);
      if (binary.size() > 1 << 20) {
        binary = null; // a flood: count, do not keep
      } else if (last) {
        binaries.add(binary.toByteArray());
        binary.reset();
      }
    }
    if (!stalled) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    byte[] bytes = new byte[message.remaining()];
    message.get(bytes);
    pings.add(new String(bytes, StandardCharsets.UTF_8));
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(new Close(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(new Close(-1, String.valueOf(error)));
  }

  @Override
  public void close() {
    socket.abort();
  }
}
