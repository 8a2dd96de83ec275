package dev.sandcastle.api;

import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A terminal client over a real WebSocket (the JDK's), as a browser's xterm.js would be: it keeps
 * the most recent output as text, counts every byte, and records how the server closed it. A
 * stalled client stops reading after its first message, so TCP pushes back on the server.
 */
final class TerminalSocket implements WebSocket.Listener, AutoCloseable {
  private static final int KEEP = 1 << 20;

  record Close(int code, String reason) {}

  final CompletableFuture<Close> closed = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  private final AtomicLong bytes = new AtomicLong();
  private final boolean stalled;
  private WebSocket socket;

  private TerminalSocket(boolean stalled) {
    this.stalled = stalled;
  }

  /** Connects without authenticating. */
  static TerminalSocket connect(TestServer server, String id, String origin, boolean stalled) {
    TerminalSocket client = new TerminalSocket(stalled);
    WebSocket.Builder builder = server.client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (origin != null) {
      builder.header("Origin", origin);
    }
    client.socket = builder.buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/terminals/" + id), client).join();
    return client;
  }

  /** Connects and authenticates with the server's key. */
  static TerminalSocket attach(TestServer server, String id) {
    TerminalSocket client = connect(server, id, null, false);
    client.auth(TestServer.KEY);
    return client;
  }

  void auth(String token) {
    socket.sendText("{\"type\":\"auth\",\"token\":\"" + token + "\"}", true).join();
  }

  /** Keystrokes, as binary frames (what Open WebUI sends). */
  void type(String keys) {
    socket.sendBinary(ByteBuffer.wrap(keys.getBytes(StandardCharsets.UTF_8)), true).join();
  }

  void sendBinary(byte[] data) {
    socket.sendBinary(ByteBuffer.wrap(data), true).join();
  }

  void sendText(String message) {
    socket.sendText(message, true).join();
  }

  void resize(int cols, int rows) {
    sendText("{\"type\":\"resize\",\"cols\":" + cols + ",\"rows\":" + rows + "}");
  }

  /** The output so far (its last MiB), decoded as UTF-8. */
  synchronized String text() {
    return text.toString();
  }

  long bytes() {
    return bytes.get();
  }

  /** Waits until the output contains {@code expected}; returns the output. */
  String await(String expected, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (text.indexOf(expected) < 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no '" + printable(expected) + "' in the terminal within " + timeout + "; it shows:\n"
              + printable(text.substring(Math.max(0, text.length() - 2000))));
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      return text.toString();
    }
  }

  Close awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the server did not close the socket within " + timeout);
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  /** Drops the connection without a closing handshake, like a lost network. */
  void drop() {
    socket.abort();
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    }
    socket.abort();
  }

  static String printable(String s) {
    return s.replace("\u001b", "\\e").replace("\r", "\\r");
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    bytes.addAndGet(chunk.length);
    synchronized (this) {
      text.append(new String(chunk, StandardCharsets.UTF_8));
      if (text.length() > 2 * KEEP) {
        text.delete(0, text.length() - KEEP);
      }
      notifyAll();
    }
    if (!stalled) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    synchronized (this) {
      text.append("[text frame: ").append(data).append("]");
      notifyAll();
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(new Close(statusCode, reason));
    synchronized (this) {
      notifyAll();
    }
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(new Close(-1, String.valueOf(error)));
  }
}
