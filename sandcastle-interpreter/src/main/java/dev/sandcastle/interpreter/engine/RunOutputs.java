package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.kernel.OutputCollector;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The outputs of one run of the Jupyter or Pyodide engine as the calling thread receives them,
 * kept by the same bounded {@link OutputCollector} as the workspace kernel's cells: each goes to
 * the live callback, then into the list, consecutive text on one stream merged; beyond the limits
 * outputs are dropped after one note on stderr. Used by one thread at a time.
 */
final class RunOutputs {
  static final long TEXT_LIMIT = OutputCollector.TEXT_LIMIT;
  static final int COUNT_LIMIT = OutputCollector.COUNT_LIMIT;
  static final String TRUNCATED = "\n[output truncated: this run produced more than the server keeps]\n";

  private static final OutputCollector.Shape<CodeOutput> SHAPE = new OutputCollector.Shape<>() {
    @Override
    public OutputCollector.Text text(CodeOutput output) {
      return output instanceof CodeOutput.Stream s ? new OutputCollector.Text(s.name(), s.text()) : null;
    }

    @Override
    public CodeOutput stream(String name, String text) {
      return new CodeOutput.Stream(name, text);
    }

    @Override
    public long dataSize(CodeOutput output) {
      return switch (output) {
        case CodeOutput.Stream stream -> stream.text().length();
        case CodeOutput.Display display -> size(display.data());
        case CodeOutput.Result result -> size(result.data());
        case CodeOutput.Error error -> error.value().length() + error.traceback().stream().mapToLong(String::length).sum();
      };
    }
  };

  private final OutputCollector<CodeOutput> outputs;
  private final long started = System.nanoTime();

  RunOutputs(Consumer<CodeOutput> live) {
    this.outputs = new OutputCollector<>(SHAPE, live, TRUNCATED);
  }

  /** Keeps the output (or what of it fits) and hands it to the live callback. */
  void emit(CodeOutput output) {
    outputs.add(output);
  }

  /** The run so far, with its time from the creation of this object. */
  CodeRun finish(CodeRun.Status status) {
    return new CodeRun(status, outputs.outputs(), Duration.ofNanos(System.nanoTime() - started));
  }

  private static long size(Map<String, Object> data) {
    return data.values().stream().mapToLong(value -> String.valueOf(value).length()).sum();
  }
}
