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

  /** What the collector needs to know of an output type. */
  public interface Shape<T> {
    /** Whether the output is text on a stream (stdout, stderr). */
    boolean isStream(T output);

    /** A stream output's stream name. */
    String streamName(T output);

    /** A stream output's text. */
    String streamText(T output);

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
    boolean text = shape.isStream(output);
    long size = text ? shape.streamText(output).length() : shape.dataSize(output);
    if (count >= COUNT_LIMIT || (text ? textSize + size > TEXT_LIMIT : dataSize + size > DATA_LIMIT)) {
      if (text && count < COUNT_LIMIT && textSize < TEXT_LIMIT) {
        output = shape.stream(shape.streamName(output), shape.streamText(output).substring(0, (int) (TEXT_LIMIT - textSize))); // keep what fits
        size = TEXT_LIMIT - textSize;
      } else {
        if (!truncated) {
          truncated = true;
          deliver(shape.stream("stderr", truncationNote));
        }
        return;
      }
    }
    count++;
    if (text) {
      textSize += size;
    } else {
      dataSize += size;
    }
    deliver(output);
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

  private void deliver(T output) {
    if (shape.isStream(output)) {
      String name = shape.streamName(output);
      if (streamName != null && !streamName.equals(name)) {
        flushStream();
      }
      streamName = name;
      streamText.append(shape.streamText(output));
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
