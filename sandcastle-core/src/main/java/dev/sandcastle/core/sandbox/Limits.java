package dev.sandcastle.core.sandbox;

/**
 * Resource limits of one workspace, enforced by its cgroup. Zero means "no limit".
 *
 * @param memoryBytes memory (and swap) the workspace's processes may use together
 * @param pids number of processes and threads the workspace may hold at once
 * @param cpus CPU time as a number of cores, e.g. 1.5
 */
public record Limits(long memoryBytes, int pids, double cpus) {
  public Limits {
    if (memoryBytes < 0 || pids < 0 || cpus < 0) {
      throw new IllegalArgumentException("limits must not be negative");
    }
    if (memoryBytes > 0 && memoryBytes < 16L << 20) {
      throw new IllegalArgumentException("a memory limit below 16 MiB cannot run a shell");
    }
    if (pids > 0 && pids < 8) {
      throw new IllegalArgumentException("a process limit below 8 cannot run a shell");
    }
  }

  public static Limits none() {
    return new Limits(0, 0, 0);
  }
}
