package dev.sandcastle.core.kernel;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One output of a cell, shaped like an nbformat output object ({@code output_type} plus its
 * fields), so it can be written into a notebook or sent to a Jupyter client as it is.
 */
public sealed interface KernelOutput {

  @JsonProperty("output_type")
  String outputType();

  /** Text written to stdout or stderr. */
  record Stream(String name, String text) implements KernelOutput {
    @Override
    public String outputType() {
      return "stream";
    }
  }

  /** The value of the cell's last expression, as a MIME bundle. */
  record Result(@JsonProperty("execution_count") int executionCount, Map<String, Object> data, Map<String, Object> metadata)
      implements KernelOutput {
    @Override
    public String outputType() {
      return "execute_result";
    }
  }

  /** Something the cell displayed: a figure, a table, HTML. */
  record Display(Map<String, Object> data, Map<String, Object> metadata) implements KernelOutput {
    @Override
    public String outputType() {
      return "display_data";
    }
  }

  /** The cell raised. {@code traceback} may hold ANSI colours; {@code tracebackPlain} does not. */
  record Error(String ename, String evalue, List<String> traceback,
      @JsonProperty("traceback_plain") List<String> tracebackPlain) implements KernelOutput {
    @Override
    public String outputType() {
      return "error";
    }
  }

  /** The cell asked to clear what it showed so far. */
  record ClearOutput(@JsonProperty("wait") boolean waitForNext) implements KernelOutput {
    @Override
    public String outputType() {
      return "clear_output";
    }
  }
}
