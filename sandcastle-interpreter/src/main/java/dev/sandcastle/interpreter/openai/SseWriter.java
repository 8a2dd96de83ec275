package dev.sandcastle.interpreter.openai;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * Writes a Server-Sent Events stream in the form OpenAI clients read: {@code data: {json}\n\n}
 * per event, {@code data: [DONE]\n\n} at the end, each flushed at once.
 *
 * <p>Thread-safe: events from several threads (say, keep-alives beside chunks) never interleave.
 * Every method throws {@link UncheckedIOException} when the stream fails (typically: the client
 * went away). Does not close the stream.
 */
public final class SseWriter {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final OutputStream out;

  public SseWriter(OutputStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /** {@code data: {json}\n\n}, the JSON on one line. */
  public void data(JsonNode event) {
    Objects.requireNonNull(event, "event");
    write("data: " + Json.MAPPER.writeValueAsString(event) + "\n\n");
  }

  /**
   * A named event: {@code event: name\ndata: {json}\n\n}. OpenAI's own clients skip or reject
   * named events they do not know; use them only for clients that expect them.
   *
   * @throws IllegalArgumentException the name is blank or contains a line break
   */
  public void event(String name, JsonNode event) {
    Objects.requireNonNull(event, "event");
    if (name.isBlank() || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("an event name must be one non-blank line");
    }
    write("event: " + name + "\ndata: " + Json.MAPPER.writeValueAsString(event) + "\n\n");
  }

  /** A comment line ({@code : text\n\n}), which clients ignore: a keep-alive. */
  public void comment(String text) {
    write(": " + text.replace('\n', ' ').replace('\r', ' ') + "\n\n");
  }

  /** The end marker {@code data: [DONE]\n\n}. */
  public void done() {
    write(DONE);
  }

  private void write(String text) {
    write(text.getBytes(StandardCharsets.UTF_8));
  }

  private synchronized void write(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("the event stream's client went away", e);
    }
  }
}
