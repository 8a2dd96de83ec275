package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PayloadTooLarge;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Optional;

/** Bounded copying between channels and streams. */
final class Streams {
  private static final int BUFFER = 64 * 1024;

  private Streams() {}

  /** Reads until the buffer is full or the end; returns the number of bytes read. */
  static int readFully(ReadableByteChannel in, byte[] buffer) throws IOException {
    ByteBuffer target = ByteBuffer.wrap(buffer);
    while (target.hasRemaining()) {
      if (in.read(target) < 0) {
        break;
      }
    }
    return target.position();
  }

  /** Everything left in {@code in}; empty if it is more than {@code max} bytes. */
  static Optional<byte[]> readAtMost(ReadableByteChannel in, long max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    long total = 0;
    while (in.read(buffer) >= 0) {
      buffer.flip();
      total += buffer.remaining();
      if (total > max) {
        return Optional.empty();
      }
      out.write(buffer.array(), 0, buffer.limit());
      buffer.clear();
    }
    return Optional.of(out.toByteArray());
  }

  static long writeAll(WritableByteChannel out, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
    return bytes.length;
  }

  /**
   * Copies a client's upload, stopping as soon as it exceeds {@code max} bytes.
   *
   * @throws PayloadTooLarge over the limit
   * @throws BadRequest if the client's stream fails
   */
  static long copyLimited(InputStream in, WritableByteChannel out, long max, String view)
      throws IOException {
    byte[] buffer = new byte[BUFFER];
    long total = 0;
    while (true) {
      int n;
      try {
        n = in.read(buffer);
      } catch (IOException e) {
        throw new BadRequest("The upload of " + view + " was interrupted", e);
      }
      if (n < 0) {
        return total;
      }
      total += n;
      if (total > max) {
        throw new PayloadTooLarge(
            "The upload of " + view + " is larger than the " + max + "-byte limit");
      }
      ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
      while (chunk.hasRemaining()) {
        out.write(chunk);
      }
    }
  }
}
