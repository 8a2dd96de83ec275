package dev.sandcastle.app.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A minimal blocking WebSocket client (RFC 6455: text frames, masking, fragments, ping/pong,
 * TCP_NODELAY), so latency benchmarks measure the server and not a client's thread hand-offs.
 */
final class RawWebSocket implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final SecureRandom random = new SecureRandom();

  RawWebSocket(int port, String pathAndQuery) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(120_000);
    out = socket.getOutputStream();
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    String request = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake");
      }
      head.append((char) b);
    }
    if (!head.toString().startsWith("HTTP/1.1 101")) {
      throw new IOException("upgrade refused: " + head.toString().lines().findFirst().orElse(""));
    }
  }

  void sendText(String text) throws IOException {
    send(0x81, text.getBytes(StandardCharsets.UTF_8));
  }

  void sendBinary(byte[] data) throws IOException {
    send(0x82, data.clone());
  }

  /** One final frame with this first byte (FIN and opcode); masks the payload in place. */
  private void send(int first, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(first);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >> shift));
      }
    }
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    frame.write(mask, 0, 4);
    for (int i = 0; i < payload.length; i++) {
      payload[i] ^= mask[i & 3];
    }
    frame.write(payload, 0, payload.length);
    out.write(frame.toByteArray()); // one write: no Nagle stall between header and payload
    out.flush();
  }

  /** The next text message (fragments joined); answers pings; fails on close. */
  String receiveText() throws IOException {
    return new String(receive(), StandardCharsets.UTF_8);
  }

  /** The next data message, text or binary (fragments joined); answers pings; fails on close. */
  byte[] receive() throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    while (true) {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = in.readNBytes((int) length);
      int opcode = b0 & 0x0f;
      switch (opcode) {
        case 0x8 -> throw new IOException("closed by the server");
        case 0x9 -> { // ping: answer with a masked pong
          byte[] frame = new byte[6 + payload.length];
          frame[0] = (byte) 0x8a;
          frame[1] = (byte) (0x80 | payload.length);
          System.arraycopy(payload, 0, frame, 6, payload.length);
          out.write(frame);
          out.flush();
        }
        case 0xa -> { }
        default -> {
          message.write(payload, 0, payload.length);
          if ((b0 & 0x80) != 0) {
            return message.toByteArray();
          }
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
