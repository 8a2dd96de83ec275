package dev.sandcastle.interpreter.jupyter;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a run ended and everything it output, in the order the kernel sent it.
 *
 * @param status {@code OK}, {@code ERROR} (an exception, an aborted run, or a dead kernel; the
 *     outputs end with an {@link Output.Error}), or {@code TIMEOUT} (the run exceeded its time and
 *     the kernel was interrupted; the outputs end with a {@code TimeoutError})
 * @param executionCount the kernel's counter for this run, from 1; 0 when unknown (e.g. a timeout
 *     before the kernel started the code)
 * @param outputs the outputs, the same ones the callback received
 */
public record ExecutionResult(Status status, int executionCount, List<Output> outputs) {
  public ExecutionResult {
    Objects.requireNonNull(status, "status");
    outputs = List.copyOf(outputs);
  }

  /** How a run ended. */
  public enum Status {
    OK("ok"),
    ERROR("error"),
    TIMEOUT("timeout");

    private final String wireName;

    Status(String wireName) {
      this.wireName = wireName;
    }

    /** The lower-case name used in JSON: ok, error, timeout. */
    public String wireName() {
      return wireName;
    }
  }

  /** All text written to one stream ({@code stdout} or {@code stderr}), concatenated. */
  public String streamText(String name) {
    return outputs.stream()
        .<String>mapMulti((output, sink) -> {
          if (output instanceof Output.Stream stream && stream.name().equals(name)) {
            sink.accept(stream.text());
          }
        })
        .collect(Collectors.joining());
  }

  /** The error that ended the run, if it ended with one. */
  public Optional<Output.Error> error() {
    return outputs.stream()
        .filter(Output.Error.class::isInstance)
        .map(Output.Error.class::cast)
        .reduce((first, second) -> second);
  }
}
