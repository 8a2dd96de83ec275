package dev.sandcastle.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The outputs of one run of code, as the server keeps them: each goes to a live listener, then
 * into the list, where consecutive text on one stream becomes one output (as in a notebook;
 * gathered in a builder, so a flood of small writes stays linear). Bounded, whatever the code
 * sends: text beyond {@link #TEXT_LIMIT} characters, rich data beyond {@link #DATA_LIMIT}
 * characters, or more than {@link #COUNT_LIMIT} outputs are dropped after one note on stderr.
 * Serves every output type (the kernel's, the code interpreter's) through a {@link Shape}.
 * Not thread-safe: one run, one thread (or its owner's lock) at a time.
 *
 * @param <T> the output type
 */
public final class OutputCollector<T> {
  public static final long TEXT_LIMIT = 2L << 20;
  public static final long DATA_LIMIT = 32L << 20;
  public static final int COUNT_LIMIT = 10_000;

  /** Text on a stream: the stream's name (stdout, stderr) and the text. */
  public record Text(String stream, String text) {}

  /** What the collector needs to know of an output type. */
  public interface Shape<T> {
    /** The output's stream text, or null when it is a rich (non-stream) output. */
    Text text(T output);

    /** A stream output made of a name and text. */
    T stream(String name, String text);

    /** The size, in characters, of a rich (non-stream) output. */
    long dataSize(T output);
  }

  private final Shape<T> shape;
  private final Consumer<T> listener;
  private final String truncationNote;
  private final List<T> outputs = new ArrayList<>();
  private final StringBuilder streamText = new StringBuilder();
  private String streamName;
  private long textSize;
  private long dataSize;
  private int count;
  private boolean truncated;

  /**
   * @param listener sees each output as it is kept (stream pieces one by one), on the adding thread
   * @param truncationNote the stderr text that says once that outputs were dropped
   */
  public OutputCollector(Shape<T> shape, Consumer<T> listener, String truncationNote) {
    this.shape = shape;
    this.listener = listener;
    this.truncationNote = truncationNote;
  }

  /** Keeps the output (or what of it fits) and hands it to the listener. */
  public void add(T output) {
    Text text = shape.text(output);
    long size = text != null ? text.text().length() : shape.dataSize(output);
    if (count >= COUNT_LIMIT || (text != null ? textSize + size > TEXT_LIMIT : dataSize + size > DATA_LIMIT)) {
      if (text != null && count < COUNT_LIMIT && textSize < TEXT_LIMIT) {
        text = new Text(text.stream(), text.text().substring(0, (int) (TEXT_LIMIT - textSize))); // keep what fits
        output = shape.stream(text.stream(), text.text());
        size = TEXT_LIMIT - textSize;
      } else {
        if (!truncated) {
          truncated = true;
          deliver(shape.stream("stderr", truncationNote), new Text("stderr", truncationNote));
        }
        return;
      }
    }
    count++;
    if (text != null) {
      textSize += size;
    } else {
      dataSize += size;
    }
    deliver(output, text);
  }

  /** Adds an output of the caller's own (a closing note, say) past the bounds, without telling the listener. */
  public void append(T output) {
    flushStream();
    outputs.add(output);
  }

  /** All outputs so far, the pending stream text included. */
  public List<T> outputs() {
    flushStream();
    return List.copyOf(outputs);
  }

  /** @param text the output's stream text, null for a rich output */
  private void deliver(T output, Text text) {
    if (text != null) {
      if (streamName != null && !streamName.equals(text.stream())) {
        flushStream();
      }
      streamName = text.stream();
      streamText.append(text.text());
    } else {
      flushStream();
      outputs.add(output);
    }
    listener.accept(output);
  }

  private void flushStream() {
    if (streamName != null) {
      outputs.add(shape.stream(streamName, streamText.toString()));
      streamText.setLength(0);
      streamName = null;
    }
  }
}
