package dev.sandcastle.interpreter.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The outputs of one run as the calling thread receives them: each goes to the live callback,
 * then into the list, where consecutive text on one stream becomes one {@link CodeOutput.Stream}
 * (as in a notebook). Bounded: text beyond {@link #TEXT_LIMIT} characters, rich data beyond
 * {@link #DATA_LIMIT} characters, or more than {@link #COUNT_LIMIT} outputs are dropped after one
 * note on stderr. Used by one thread at a time.
 */
final class RunOutputs {
  static final long TEXT_LIMIT = 2L << 20;
  static final long DATA_LIMIT = 32L << 20;
  static final int COUNT_LIMIT = 10_000;
  static final String TRUNCATED = "\n[output truncated: this run produced more than the server keeps]\n";

  private final Consumer<CodeOutput> live;
  private final List<CodeOutput> outputs = new ArrayList<>();
  private final StringBuilder streamText = new StringBuilder();
  private final long started = System.nanoTime();
  private String streamName;
  private long textSize;
  private long dataSize;
  private int count;
  private boolean truncated;

  RunOutputs(Consumer<CodeOutput> live) {
    this.live = live;
  }

  /** Keeps the output (or what of it fits) and hands it to the live callback. */
  void emit(CodeOutput output) {
    boolean text = output instanceof CodeOutput.Stream;
    long size = size(output);
    if (count >= COUNT_LIMIT || (text ? textSize + size > TEXT_LIMIT : dataSize + size > DATA_LIMIT)) {
      if (text && count < COUNT_LIMIT && textSize < TEXT_LIMIT) {
        CodeOutput.Stream stream = (CodeOutput.Stream) output;
        output = new CodeOutput.Stream(stream.name(), stream.text().substring(0, (int) (TEXT_LIMIT - textSize)));
        size = TEXT_LIMIT - textSize;
      } else {
        if (!truncated) {
          truncated = true;
          deliver(new CodeOutput.Stream(CodeOutput.Stream.STDERR, TRUNCATED));
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

  /** The run so far, with its time from the creation of this object. */
  CodeRun finish(CodeRun.Status status) {
    flushStream();
    return new CodeRun(status, outputs, Duration.ofNanos(System.nanoTime() - started));
  }

  private void deliver(CodeOutput output) {
    if (output instanceof CodeOutput.Stream next) {
      if (streamName != null && !streamName.equals(next.name())) {
        flushStream();
      }
      streamName = next.name();
      streamText.append(next.text());
    } else {
      flushStream();
      outputs.add(output);
    }
    live.accept(output);
  }

  private void flushStream() {
    if (streamName != null) {
      outputs.add(new CodeOutput.Stream(streamName, streamText.toString()));
      streamText.setLength(0);
      streamName = null;
    }
  }

  private static long size(CodeOutput output) {
    return switch (output) {
      case CodeOutput.Stream stream -> stream.text().length();
      case CodeOutput.Display display -> size(display.data());
      case CodeOutput.Result result -> size(result.data());
      case CodeOutput.Error error -> error.value().length() + error.traceback().stream().mapToLong(String::length).sum();
    };
  }

  private static long size(Map<String, Object> data) {
    return data.values().stream().mapToLong(value -> String.valueOf(value).length()).sum();
  }
}
