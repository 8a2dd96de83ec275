package dev.sandcastle.orchestrator.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A bare TCP server for upstreams that misbehave on purpose; each connection runs {@code handler} on a virtual thread. */
final class RawServer implements AutoCloseable {
  interface Handler {
    void handle(Socket socket) throws IOException;
  }

  final AtomicInteger connections = new AtomicInteger();
  private final ServerSocket server;
  private final Thread acceptor;

  RawServer(Handler handler) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().name("raw-accept").start(() -> {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          connections.incrementAndGet();
          Thread.ofVirtual().start(() -> {
            try (socket) {
              handler.handle(socket);
            } catch (IOException e) {
              // the peer went away
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** Reads a request's head (up to the blank line) and returns it. */
  static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int matched = 0;
    int c;
    while (matched < 4 && (c = in.read()) >= 0) {
      head.append((char) c);
      matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    return head.toString();
  }

  static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
    try {
      acceptor.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
