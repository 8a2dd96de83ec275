package dev.sandcastle.interpreter.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one run of code ended and everything it output, in order.
 *
 * @param status how it ended
 * @param outputs every output, the same ones the run's live callback received, in the same order
 * @param duration the wall-clock time of the run as the engine measured it
 */
public record CodeRun(Status status, List<CodeOutput> outputs, Duration duration) {
  public CodeRun {
    Objects.requireNonNull(status, "status");
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("a run cannot take a negative time");
    }
  }

  /** How a run ended. */
  public enum Status {
    /** The code ran to its end. */
    OK("ok"),
    /** The code raised, or the interpreter died; the outputs end with an {@link CodeOutput.Error}. */
    ERROR("error"),
    /**
     * The code ran past its time limit and was interrupted (or abandoned); the outputs are those
     * produced before, usually followed by a {@code TimeoutError}.
     */
    TIMEOUT("timeout");

    private final String wireName;

    Status(String wireName) {
      this.wireName = wireName;
    }

    /** The lower-case name used in JSON: {@code ok}, {@code error}, {@code timeout}. */
    public String wireName() {
      return wireName;
    }

    /** The status of a wire name; anything unknown is {@link #ERROR}. */
    public static Status ofWireName(String name) {
      for (Status status : values()) {
        if (status.wireName.equals(name)) {
          return status;
        }
      }
      return ERROR;
    }
  }

  /** Everything written to stdout, concatenated, ANSI escape codes removed. */
  public String stdout() {
    StringBuilder text = new StringBuilder();
    for (CodeOutput output : outputs) {
      if (output instanceof CodeOutput.Stream(String name, String written) && name.equals(CodeOutput.Stream.STDOUT)) {
        text.append(written);
      }
    }
    return Ansi.strip(text.toString());
  }

  /**
   * Everything written to stderr and every error's traceback (see {@link CodeOutput.Error#text()}),
   * in the order they happened, ANSI escape codes removed: what a model needs to see to fix its
   * code.
   */
  public String stderr() {
    StringBuilder text = new StringBuilder();
    for (CodeOutput output : outputs) {
      switch (output) {
        case CodeOutput.Stream(String name, String written) when name.equals(CodeOutput.Stream.STDERR) -> {
          text.append(written);
        }
        case CodeOutput.Error error -> {
          if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
            text.append('\n');
          }
          text.append(error.text());
        }
        default -> {}
      }
    }
    return Ansi.strip(text.toString());
  }

  /** The {@code text/plain} form of the value of the code's last expression, if it had one (and that form). */
  public Optional<String> resultText() {
    Optional<String> text = Optional.empty();
    for (CodeOutput output : outputs) {
      if (output instanceof CodeOutput.Result result) {
        text = result.data().get("text/plain") instanceof String plain ? Optional.of(plain) : Optional.empty();
      }
    }
    return text;
  }
}
