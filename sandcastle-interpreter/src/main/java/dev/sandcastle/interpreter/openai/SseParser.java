package dev.sandcastle.interpreter.openai;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A Server-Sent Events decoder after the WHATWG rules, fed raw bytes as they arrive.
 *
 * <p>Lines end with LF, CR or CRLF (also when CR and LF arrive in different buffers); each line is
 * decoded as UTF-8 once complete, so a character split across buffers survives. Lines starting
 * with {@code :} are comments (keep-alives); {@code data} lines are joined with LF; a blank line
 * dispatches the event (when it has data); {@code event} sets its type; other fields are
 * ignored; a leading byte order mark is dropped. Lenient at the end: {@link #finish} dispatches
 * an event whose closing blank line never came.
 *
 * <p>Not thread-safe: one parser per stream. {@link IllegalStateException} when a line or an
 * event exceeds the size limit.
 */
final class SseParser {
  /** One event: its type ({@code message} when not given) and its data. */
  record Event(String type, String data) {}

  private final int maxBytes;
  private byte[] line = new byte[512];
  private int lineLength;
  private boolean afterCr;
  private boolean firstLine = true;
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String type = "";

  SseParser(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Consumes the buffer; calls {@code sink} for each event it completes, in order. */
  void feed(ByteBuffer buffer, Consumer<Event> sink) {
    while (buffer.hasRemaining()) {
      byte b = buffer.get();
      if (afterCr) {
        afterCr = false;
        if (b == '\n') {
          continue;
        }
      }
      if (b == '\n' || b == '\r') {
        afterCr = b == '\r';
        endLine(sink);
      } else {
        append(b);
      }
    }
  }

  /** The stream ended: completes a last line and event left open. */
  void finish(Consumer<Event> sink) {
    if (lineLength > 0) {
      endLine(sink);
    }
    dispatch(sink);
  }

  private void append(byte b) {
    if (lineLength == line.length) {
      if (lineLength >= maxBytes) {
        throw new IllegalStateException("a line of the event stream exceeds " + maxBytes + " bytes");
      }
      line = Arrays.copyOf(line, Math.min(maxBytes, line.length * 2));
    }
    line[lineLength++] = b;
  }

  private void endLine(Consumer<Event> sink) {
    int start = 0;
    if (firstLine) {
      firstLine = false;
      if (lineLength >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB
          && line[2] == (byte) 0xBF) {
        start = 3;
      }
    }
    String text = new String(line, start, lineLength - start, StandardCharsets.UTF_8);
    lineLength = 0;
    if (line.length > 64 * 1024) {
      line = new byte[512];
    }
    if (text.isEmpty()) {
      dispatch(sink);
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (data.length() + value.length() > maxBytes) {
          throw new IllegalStateException("an event of the stream exceeds " + maxBytes + " bytes");
        }
        data.append(value).append('\n');
        hasData = true;
      }
      case "event" -> type = value;
      default -> { } // id, retry and unknown fields mean nothing to us
    }
  }

  private void dispatch(Consumer<Event> sink) {
    if (!hasData) {
      type = "";
      return;
    }
    String payload = data.substring(0, data.length() - 1);
    String eventType = type.isEmpty() ? "message" : type;
    data.setLength(0);
    hasData = false;
    type = "";
    sink.accept(new Event(eventType, payload));
  }
}
