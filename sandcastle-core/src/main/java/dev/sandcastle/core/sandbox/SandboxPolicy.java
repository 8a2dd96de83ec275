package dev.sandcastle.core.sandbox;

import java.util.List;

/**
 * How a workspace's processes are confined.
 *
 * @param mechanism {@code BWRAP} (namespaces via bubblewrap) or {@code NONE} (already inside a container)
 * @param network {@code NONE} (no network at all, the default) or {@code HOST}
 * @param limits cgroup limits for the whole workspace
 * @param readOnlyPaths host paths shown read-only at the same place in a bubblewrap sandbox, beside
 *     the few system files every sandbox gets (absolute and normal; see {@link #checkReadOnlyPath})
 * @param tmpBytes the size of the sandbox's {@code /tmp} (and of {@code /var/tmp}), a memory-backed file system
 */
public record SandboxPolicy(Mechanism mechanism, Network network, Limits limits, List<String> readOnlyPaths, long tmpBytes) {
  /** The most paths one policy may add. */
  public static final int MAX_READ_ONLY_PATHS = 32;

  public SandboxPolicy {
    if (mechanism == null || network == null || limits == null) {
      throw new IllegalArgumentException("mechanism, network and limits are required");
    }
    readOnlyPaths = List.copyOf(readOnlyPaths == null ? List.of() : readOnlyPaths);
    if (readOnlyPaths.size() > MAX_READ_ONLY_PATHS) {
      throw new IllegalArgumentException("at most " + MAX_READ_ONLY_PATHS + " read-only paths");
    }
    readOnlyPaths.forEach(SandboxPolicy::checkReadOnlyPath);
    if (tmpBytes < 1L << 20) {
      throw new IllegalArgumentException("/tmp needs at least 1 MiB");
    }
  }

  /** No added paths, and {@code /tmp} sized by {@link #tmpBytesFor}. */
  public SandboxPolicy(Mechanism mechanism, Network network, Limits limits) {
    this(mechanism, network, limits, List.of(), tmpBytesFor(limits));
  }

  /** The same policy with these added read-only paths. */
  public SandboxPolicy withReadOnlyPaths(List<String> paths) {
    return new SandboxPolicy(mechanism, network, limits, paths, tmpBytes);
  }

  /**
   * The size of a workspace's {@code /tmp}: a quarter of its memory limit, between 64 MiB and 1
   * GiB (1 GiB without a memory limit). Its pages count against the memory limit as they are used.
   */
  public static long tmpBytesFor(Limits limits) {
    long memory = limits.memoryBytes();
    return Math.max(64L << 20, Math.min(1L << 30, memory > 0 ? memory / 4 : 1L << 30));
  }

  /**
   * Refuses a path that is not absolute and normal, or that would cover what the sandbox sets up
   * itself ({@code /}, {@code /proc}, {@code /dev}, {@code /sys}, {@code /tmp}, {@code /run}, the
   * home), with a message meant for an administrator.
   */
  public static void checkReadOnlyPath(String path) {
    if (path == null || path.length() > 1024 || !path.startsWith("/") || path.contains("//") || path.endsWith("/")
        || path.chars().anyMatch(c -> c < 0x20 || c == ',' || c == 0x7f)
        || java.util.Arrays.stream(path.substring(1).split("/")).anyMatch(p -> p.equals(".") || p.equals(".."))) {
      throw new IllegalArgumentException("a read-only path is absolute and normal (no '.', '..', '//', trailing '/', commas or"
          + " control characters), at most 1024 characters: " + path);
    }
    for (String own : List.of("/proc", "/dev", "/sys", "/tmp", "/var/tmp", "/run", "/home", "/mnt")) {
      if (path.equals(own) || path.startsWith(own + "/") || own.startsWith(path + "/")) {
        throw new IllegalArgumentException("the sandbox sets up " + own + " itself; a read-only path cannot be or hold it: " + path);
      }
    }
  }

  public enum Mechanism { BWRAP, NONE }

  public enum Network { NONE, HOST }
}
