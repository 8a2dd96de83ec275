package dev.sandcastle.interpreter.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A bare-socket HTTP/1.1 server for one streamed answer that never ends (a content chunk every
 * 20 ms), watching its connection the way real servers do: it notices the moment the client
 * closes its side (end of stream on the socket), which the JDK's client does at once even while
 * it defers releasing the socket. Test code for "the upstream connection is closed promptly".
 */
final class TrickleServer implements AutoCloseable {
  private final ServerSocket server;
  private final CountDownLatch clientLeft = new CountDownLatch(1);
  private final Thread acceptor;

  TrickleServer() throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().start(this::serve);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
  }

  /** True when the client closed the connection within the time given. */
  boolean awaitClientLeft(Duration timeout) throws InterruptedException {
    return clientLeft.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws IOException {
    server.close();
    acceptor.interrupt();
  }

  private void serve() {
    try (Socket socket = server.accept()) {
      InputStream in = socket.getInputStream();
      int length = readHead(in);
      in.readNBytes(length);
      Thread watcher = Thread.ofVirtual().start(() -> {
        try {
          if (in.read() < 0) {
            clientLeft.countDown();
          }
        } catch (IOException e) {
          clientLeft.countDown();
        }
      });
      OutputStream out = socket.getOutputStream();
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
      byte[] frame = (Integer.toHexString(event.length()) + "\r\n" + event + "\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      while (clientLeft.getCount() > 0) {
        out.write(frame);
        out.flush();
        Thread.sleep(20);
      }
      watcher.join();
    } catch (IOException | InterruptedException e) {
      clientLeft.countDown(); // a failed write: the client is gone too
    }
  }

  /** Reads the request line and headers; returns the Content-Length. */
  private static int readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the client left before its request ended");
      }
      head.write(b);
    }
    for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).strip());
      }
    }
    return 0;
  }
}
