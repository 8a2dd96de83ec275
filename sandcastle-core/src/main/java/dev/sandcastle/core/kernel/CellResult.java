package dev.sandcastle.core.kernel;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * The end of one cell.
 *
 * @param status {@code ok}, {@code error} (the code raised, or the kernel died), or
 *     {@code timeout} (the cell ran past its time limit and was interrupted or killed)
 * @param kernelLost whether the kernel died during the cell, so its state is gone
 */
public record CellResult(
    String status,
    @JsonProperty("execution_count") int executionCount,
    List<KernelOutput> outputs,
    Duration duration,
    @JsonProperty("kernel_lost") boolean kernelLost) {
  public CellResult {
    outputs = List.copyOf(outputs);
  }
}
