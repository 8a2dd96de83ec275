package dev.sandcastle.core.pty;

import java.nio.ByteBuffer;

/**
 * The most recent output of a terminal in a fixed ring of bytes, addressed by absolute offsets
 * (bytes since the terminal started). Not thread-safe: its session's lock guards it.
 */
final class Scrollback {
  /** How far past the oldest byte a replay may start to land on a line boundary. */
  private static final int BOUNDARY_SEARCH = 4096;

  private final byte[] ring;
  private long end;

  Scrollback(int capacity) {
    this.ring = new byte[capacity];
  }

  int capacity() {
    return ring.length;
  }

  /** Offset just past the newest byte: everything ever appended. */
  long end() {
    return end;
  }

  /** Offset of the oldest byte still held. */
  long start() {
    return Math.max(0, end - ring.length);
  }

  void append(byte[] data) {
    int length = data.length;
    int from = 0;
    if (length > ring.length) { // only the newest capacity bytes can stay
      from = length - ring.length;
      end += from;
      length = ring.length;
    }
    int at = (int) (end % ring.length);
    int first = Math.min(length, ring.length - at);
    System.arraycopy(data, from, ring, at, first);
    System.arraycopy(data, from + first, ring, 0, length - first);
    end += length;
  }

  /**
   * Where a replay should start: the oldest byte when nothing was dropped yet, else the start of
   * the first whole line (so a client does not begin inside an escape sequence or a character),
   * if one starts soon enough.
   */
  long replayStart() {
    long start = start();
    if (start == 0) {
      return 0;
    }
    long limit = Math.min(end, start + BOUNDARY_SEARCH);
    for (long offset = start; offset < limit; offset++) {
      if (ring[(int) (offset % ring.length)] == '\n') {
        return offset + 1;
      }
    }
    return start;
  }

  /** A copy of up to {@code max} bytes from {@code from} (which must be within the ring). */
  ByteBuffer copy(long from, int max) {
    if (from < start() || from > end) {
      throw new IllegalArgumentException("offset " + from + " is outside the scrollback");
    }
    int length = (int) Math.min(max, end - from);
    byte[] out = new byte[length];
    int at = (int) (from % ring.length);
    int first = Math.min(length, ring.length - at);
    System.arraycopy(ring, at, out, 0, first);
    System.arraycopy(ring, 0, out, first, length - first);
    return ByteBuffer.wrap(out);
  }
}
