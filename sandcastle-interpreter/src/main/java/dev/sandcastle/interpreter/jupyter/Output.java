package dev.sandcastle.interpreter.jupyter;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One output of a run, shaped like the Jupyter message (and notebook output) it came from.
 *
 * <p>MIME bundles ({@code data}) keep every type in {@link #KEPT_MIME_TYPES} (upstream Open WebUI
 * keeps only {@code image/png} and {@code text/plain}); other types, such as widget views, are
 * dropped. Values are text: images are base64 as the kernel sent them, {@code image/svg+xml} is
 * the SVG source, {@code application/json} is the JSON document written compactly.
 */
public sealed interface Output {

  /** The MIME types a bundle keeps. */
  Set<String> KEPT_MIME_TYPES = Set.of(
      "text/plain", "text/html", "text/markdown", "text/latex",
      "image/png", "image/jpeg", "image/svg+xml", "application/json");

  /**
   * Text the code wrote to a stream.
   *
   * @param name {@code stdout} or {@code stderr}
   * @param text the text as the kernel sent it (one message may hold several lines, or part of one)
   */
  record Stream(String name, String text) implements Output {
    public Stream {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * The value of the last expression of the code ({@code execute_result}).
   *
   * @param executionCount the kernel's counter for this run, from 1; 0 when the kernel gave none
   * @param data the MIME bundle, at least {@code text/plain} from IPython
   */
  record Result(int executionCount, Map<String, String> data) implements Output {
    public Result {
      data = Map.copyOf(data);
    }
  }

  /**
   * Something the code displayed ({@code display_data}), e.g. with IPython.display or a plot.
   *
   * @param data the MIME bundle
   */
  record Display(Map<String, String> data) implements Output {
    public Display {
      data = Map.copyOf(data);
    }
  }

  /**
   * The exception that ended the run ({@code error}), or one the client reports itself: {@code
   * TimeoutError} when the run exceeded its time, {@code DeadKernelError} when the kernel died.
   *
   * @param ename the exception's class name, e.g. {@code ZeroDivisionError}
   * @param evalue its message
   * @param traceback the traceback lines as the kernel formats them, with ANSI colour codes
   */
  record Error(String ename, String evalue, List<String> traceback) implements Output {
    private static final Pattern ANSI = Pattern.compile(
        "\u001B\\[[0-?]*[ -/]*[@-~]|\u001B\\][^\u0007\u001B]*(?:\u0007|\u001B\\\\)|\u001B[@-Z\\\\-_]");

    public Error {
      Objects.requireNonNull(ename, "ename");
      Objects.requireNonNull(evalue, "evalue");
      traceback = List.copyOf(traceback);
    }

    /** The traceback as plain text: lines joined with newlines, ANSI escape sequences removed. */
    public String plainTraceback() {
      return traceback.stream().map(Error::stripAnsi).collect(Collectors.joining("\n"));
    }

    /** Removes ANSI escape sequences (colours, cursor moves, OSC titles and links) from text. */
    public static String stripAnsi(String text) {
      return ANSI.matcher(text).replaceAll("");
    }
  }
}
