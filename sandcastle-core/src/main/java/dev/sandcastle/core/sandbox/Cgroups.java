package dev.sandcastle.core.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the host's cgroup hierarchy (v1 with memory, pids and cpu controllers, or v2) and creates
 * one group per workspace under a {@code sandcastle} parent. Where neither is writable (not root,
 * no delegation) it says so, and workspaces run without limits: the caller decides whether that
 * is acceptable.
 */
public final class Cgroups {
  private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final String PARENT = "sandcastle";

  private final Version version;

  private enum Version { V1, V2, NONE }

  private Cgroups(Version version) {
    this.version = version;
  }

  /** Looks at the host once. */
  public static Cgroups detect() {
    if (Files.isRegularFile(ROOT.resolve("cgroup.controllers"))) {
      String controllers = read(ROOT.resolve("cgroup.controllers")).orElse("");
      if (controllers.contains("memory") && controllers.contains("pids") && Files.isWritable(ROOT)) {
        return new Cgroups(Version.V2);
      }
    }
    if (Stream.of("memory", "pids", "cpu").allMatch(c -> Files.isWritable(ROOT.resolve(c)))) {
      return new Cgroups(Version.V1);
    }
    return new Cgroups(Version.NONE);
  }

  public boolean available() {
    return version != Version.NONE;
  }

  public String describe() {
    return switch (version) {
      case V1 -> "cgroup v1";
      case V2 -> "cgroup v2";
      case NONE -> "no writable cgroup hierarchy (limits not enforced)";
    };
  }

  /**
   * Creates (or takes over) the group {@code name} with these limits.
   *
   * @throws UncheckedIOException when the hierarchy refuses
   */
  public Cgroup create(String name, Limits limits) {
    if (!name.matches("[a-zA-Z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("bad cgroup name: " + name);
    }
    return switch (version) {
      case V1 -> V1Group.create(name, limits);
      case V2 -> V2Group.create(name, limits);
      case NONE -> new NoGroup();
    };
  }

  /**
   * Names of the groups under Sandcastle's parent that start with {@code prefix}: what a crashed
   * server may have left behind, for a reconciler to {@link #reap}.
   */
  public List<String> existing(String prefix) {
    Path parent = switch (version) {
      case V1 -> ROOT.resolve("pids").resolve(PARENT);
      case V2 -> ROOT.resolve(PARENT);
      case NONE -> null;
    };
    if (parent == null || !Files.isDirectory(parent)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(parent)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
    } catch (IOException e) {
      log.warn("cannot list cgroups under {}: {}", parent, e.getMessage());
      return List.of();
    }
  }

  /** Kills every process of the group {@code name} and removes it. */
  public void reap(String name) {
    create(name, Limits.none()).close();
  }

  static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file).trim());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static void write(Path file, String value) {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + value + " to " + file, e);
    }
  }

  static void tryWrite(Path file, String value) {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      log.debug("optional cgroup setting {} = {} refused: {}", file, value, e.getMessage());
    }
  }

  static long counter(Path file, String key) {
    return read(file).stream()
        .flatMap(String::lines)
        .filter(line -> line.startsWith(key + " "))
        .mapToLong(line -> Long.parseLong(line.substring(key.length() + 1).trim()))
        .findFirst()
        .orElse(0);
  }

  static List<Long> pids(Path procs) {
    List<Long> pids = new ArrayList<>();
    read(procs).ifPresent(text -> text.lines().filter(l -> !l.isBlank()).forEach(l -> pids.add(Long.parseLong(l.trim()))));
    return pids;
  }

  /** SIGKILLs every pid listed until the list is empty or 5 s pass. */
  static void killUntilEmpty(Path procs) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      List<Long> pids = pids(procs);
      if (pids.isEmpty()) {
        return;
      }
      for (long pid : pids) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    log.warn("processes left in {} after 5 s of SIGKILL", procs);
  }

  static void removeDir(Path dir) {
    for (int i = 0; i < 50 && Files.exists(dir); i++) {
      try {
        Files.delete(dir); // rmdir of a cgroup; its files are virtual
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  static String limitsText(Limits limits) {
    return "memory " + (limits.memoryBytes() == 0 ? "unlimited" : (limits.memoryBytes() >> 20) + " MiB")
        + ", processes " + (limits.pids() == 0 ? "unlimited" : limits.pids())
        + ", CPUs " + (limits.cpus() == 0 ? "unlimited" : limits.cpus());
  }

  /** cgroup v1: one directory per controller. */
  private record V1Group(Path memory, Path pids, Path cpu, Limits limits) implements Cgroup {
    static V1Group create(String name, Limits limits) {
      Path memory = ROOT.resolve("memory").resolve(PARENT).resolve(name);
      Path pids = ROOT.resolve("pids").resolve(PARENT).resolve(name);
      Path cpu = ROOT.resolve("cpu").resolve(PARENT).resolve(name);
      for (Path dir : List.of(memory, pids, cpu)) {
        try {
          Files.createDirectories(dir);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create cgroup " + dir, e);
        }
      }
      Cgroups.killUntilEmpty(pids.resolve("cgroup.procs")); // left over from a crash
      if (limits.memoryBytes() > 0) {
        // memsw must stay >= the memory limit: raise it first when it exists, so swap adds nothing.
        tryWrite(memory.resolve("memory.memsw.limit_in_bytes"), "-1");
        write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
        tryWrite(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
      }
      tryWrite(memory.resolve("memory.swappiness"), "0");
      write(pids.resolve("pids.max"), limits.pids() > 0 ? Integer.toString(limits.pids()) : "max");
      if (limits.cpus() > 0) {
        write(cpu.resolve("cpu.cfs_period_us"), "100000");
        write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(limits.cpus() * 100_000)));
      } else {
        tryWrite(cpu.resolve("cpu.cfs_quota_us"), "-1");
      }
      return new V1Group(memory, pids, cpu, limits);
    }

    @Override
    public List<Path> procsFiles() {
      return List.of(memory.resolve("cgroup.procs"), pids.resolve("cgroup.procs"), cpu.resolve("cgroup.procs"));
    }

    @Override
    public long oomKills() {
      return counter(memory.resolve("memory.oom_control"), "oom_kill");
    }

    @Override
    public void killAll() {
      killUntilEmpty(pids.resolve("cgroup.procs"));
    }

    @Override
    public void close() {
      killAll();
      removeDir(memory);
      removeDir(pids);
      removeDir(cpu);
    }

    @Override
    public String describe() {
      return limitsText(limits);
    }
  }

  /** cgroup v2: one directory, controllers enabled on the parents. */
  private record V2Group(Path dir, Limits limits) implements Cgroup {
    static V2Group create(String name, Limits limits) {
      Path parent = ROOT.resolve(PARENT);
      Path dir = parent.resolve(name);
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create cgroup " + dir, e);
      }
      tryWrite(ROOT.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
      tryWrite(parent.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
      Cgroups.killUntilEmpty(dir.resolve("cgroup.procs"));
      write(dir.resolve("memory.max"), limits.memoryBytes() > 0 ? Long.toString(limits.memoryBytes()) : "max");
      tryWrite(dir.resolve("memory.swap.max"), "0");
      write(dir.resolve("pids.max"), limits.pids() > 0 ? Integer.toString(limits.pids()) : "max");
      tryWrite(dir.resolve("cpu.max"), limits.cpus() > 0 ? Math.round(limits.cpus() * 100_000) + " 100000" : "max 100000");
      return new V2Group(dir, limits);
    }

    @Override
    public List<Path> procsFiles() {
      return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    public long oomKills() {
      return counter(dir.resolve("memory.events"), "oom_kill");
    }

    @Override
    public void killAll() {
      tryWrite(dir.resolve("cgroup.kill"), "1");
      killUntilEmpty(dir.resolve("cgroup.procs"));
    }

    @Override
    public void close() {
      killAll();
      removeDir(dir);
    }

    @Override
    public String describe() {
      return limitsText(limits);
    }
  }

  /** No hierarchy: nothing is enforced, and {@link #describe()} says so. */
  private record NoGroup() implements Cgroup {
    @Override
    public List<Path> procsFiles() {
      return List.of();
    }

    @Override
    public long oomKills() {
      return 0;
    }

    @Override
    public void killAll() {}

    @Override
    public void close() {}

    @Override
    public String describe() {
      return "no limits (no writable cgroup hierarchy)";
    }
  }
}
