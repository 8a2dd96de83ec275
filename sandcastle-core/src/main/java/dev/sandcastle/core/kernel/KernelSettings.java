package dev.sandcastle.core.kernel;

import java.time.Duration;

/**
 * Limits of a workspace's kernels.
 *
 * @param maxKernels kernels alive at once in one workspace
 * @param idleTimeout an idle kernel is stopped after this long (its state is lost)
 * @param defaultCellTimeout wall-clock limit of a cell when the request names none
 * @param interruptGrace after a timeout's interrupt, how long a cell may take to stop before the
 *     kernel is killed
 */
public record KernelSettings(int maxKernels, Duration idleTimeout, Duration defaultCellTimeout, Duration interruptGrace) {
  public KernelSettings {
    if (maxKernels < 1 || idleTimeout.isNegative() || defaultCellTimeout.isNegative() || interruptGrace.isNegative()) {
      throw new IllegalArgumentException("invalid kernel settings");
    }
  }

  public static KernelSettings defaults() {
    return new KernelSettings(8, Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(3));
  }
}
