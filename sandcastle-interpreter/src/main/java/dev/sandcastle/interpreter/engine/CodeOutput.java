package dev.sandcastle.interpreter.engine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One output of a code run, in the order the code produced it; the same shapes whatever engine
 * ran the code.
 *
 * <p>MIME bundles ({@code data} of {@link Display} and {@link Result}) map a MIME type to its
 * value: text for {@code text/plain}, {@code text/html}, {@code text/markdown}, {@code
 * image/svg+xml} (the SVG source); base64 text without line breaks for {@code image/png} and
 * {@code image/jpeg}; the JSON value itself for {@code application/json} (plain Java objects:
 * {@code Map}, {@code List}, {@code String}, {@code Number}, {@code Boolean}). Entries with a null
 * value are dropped. Bundles are immutable and keep the order the engine gave.
 */
public sealed interface CodeOutput {

  /**
   * Text the code wrote to a stream.
   *
   * @param name {@code stdout} or {@code stderr}
   * @param text the text as written (one output may hold several lines, or part of one)
   */
  record Stream(String name, String text) implements CodeOutput {
    public static final String STDOUT = "stdout";
    public static final String STDERR = "stderr";

    public Stream {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(text, "text");
      if (!name.equals(STDOUT) && !name.equals(STDERR)) {
        throw new IllegalArgumentException("a stream is stdout or stderr, not " + name);
      }
    }
  }

  /**
   * Something the code displayed: a figure, a table, HTML.
   *
   * @param data the MIME bundle
   */
  record Display(Map<String, Object> data) implements CodeOutput {
    public Display {
      data = bundle(data);
    }
  }

  /**
   * The value of the code's last expression (Jupyter's {@code execute_result}).
   *
   * @param data the MIME bundle, usually with at least {@code text/plain}
   */
  record Result(Map<String, Object> data) implements CodeOutput {
    public Result {
      data = bundle(data);
    }
  }

  /**
   * The exception that ended the run, or one the engine reports itself ({@code TimeoutError} when
   * the run exceeded its time, {@code KernelDied} / {@code DeadKernelError} when the interpreter
   * died).
   *
   * @param name the exception's class name, e.g. {@code ZeroDivisionError}
   * @param value its message
   * @param traceback the traceback lines as the interpreter formatted them; may hold ANSI colour
   *     codes and embedded newlines; may be empty
   */
  record Error(String name, String value, List<String> traceback) implements CodeOutput {
    public Error {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      traceback = List.copyOf(traceback);
    }

    /**
     * The traceback as plain text without ANSI codes, ending with a newline; {@code name: value}
     * when there is no traceback.
     */
    public String text() {
      StringBuilder text = new StringBuilder();
      if (traceback.isEmpty()) {
        text.append(value.isEmpty() ? name : name + ": " + value);
      }
      for (String line : traceback) { // IPython's lines have no line break at the end, Python's own do
        if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
          text.append('\n');
        }
        text.append(line);
      }
      String plain = Ansi.strip(text.toString());
      return plain.endsWith("\n") ? plain : plain + "\n";
    }
  }

  private static Map<String, Object> bundle(Map<String, Object> data) {
    Objects.requireNonNull(data, "data");
    Map<String, Object> copy = new LinkedHashMap<>();
    data.forEach((type, value) -> {
      if (type != null && value != null) {
        copy.put(type, value);
      }
    });
    return Collections.unmodifiableMap(copy);
  }
}
