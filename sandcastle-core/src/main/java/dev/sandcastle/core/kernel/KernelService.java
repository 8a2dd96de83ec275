package dev.sandcastle.core.kernel;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.SpawnSpec;
import dev.sandcastle.core.sandbox.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Python kernels of one workspace: named, started on first use inside the workspace sandbox
 * (same uid, limits and files as its commands), stopped when idle. A kernel that died is replaced
 * by a fresh one on the next request, and that request is told its state was lost.
 */
public final class KernelService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KernelService.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
  private static final Duration HOST_START = Duration.ofSeconds(60);
  private static final Duration KERNEL_START = Duration.ofSeconds(30);

  private final Supplier<Supervisor> supervisor;
  private final Supplier<SpawnSpec> hostSpec;
  private final LongSupplier oomKills;
  private final KernelSettings settings;
  private final String home;
  private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
  private final Map<String, String> lost = new ConcurrentHashMap<>();
  private final ReentrantLock hostLock = new ReentrantLock();
  private final ScheduledExecutorService reaper;
  private volatile KernelHost host;

  /**
   * @param hostSpec how to start {@code kernel.py} in the sandbox (program, cwd, environment)
   * @param home the directory new kernels start in
   */
  public KernelService(Supplier<Supervisor> supervisor, Supplier<SpawnSpec> hostSpec, LongSupplier oomKills,
      KernelSettings settings, String home) {
    this.supervisor = supervisor;
    this.hostSpec = hostSpec;
    this.oomKills = oomKills;
    this.settings = settings;
    this.home = home;
    this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kernel-reaper").daemon().factory());
    long period = Math.max(1, Math.min(60, settings.idleTimeout().toSeconds() / 4));
    reaper.scheduleWithFixedDelay(this::reapIdle, period, period, TimeUnit.SECONDS);
  }

  /** Checks a client-chosen kernel name. */
  public static String validName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new BadRequest("kernel names are 1-128 characters of letters, digits and _ . : -");
    }
    return name;
  }

  /** The kernel of this name, started if it does not run. */
  public KernelInfo start(String name) throws InterruptedException {
    return kernel(validName(name)).info();
  }

  public Optional<KernelInfo> find(String name) {
    Kernel kernel = kernels.get(name);
    return kernel == null || kernel.dead() ? Optional.empty() : Optional.of(kernel.info());
  }

  public List<KernelInfo> list() {
    List<KernelInfo> infos = new ArrayList<>();
    for (Kernel kernel : kernels.values()) {
      if (!kernel.dead()) {
        infos.add(kernel.info());
      }
    }
    infos.sort(Comparator.comparing(KernelInfo::name));
    return infos;
  }

  /**
   * Runs code in the named kernel (started if needed).
   *
   * @param timeout wall-clock limit of the whole cell; zero means the configured default
   * @param waitIfBusy wait for a running cell to finish (else 409 Conflict at once)
   * @param listener each output as it happens, on the reader thread: must not block
   */
  public CellResult execute(String name, String code, Duration timeout, boolean waitIfBusy, Consumer<KernelOutput> listener)
      throws InterruptedException {
    if (code == null) {
      throw new BadRequest("code is required");
    }
    Duration limit = timeout.isZero() ? settings.defaultCellTimeout() : timeout;
    Kernel kernel = kernel(validName(name));
    if (waitIfBusy) {
      if (!kernel.cells.tryLock(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new Conflict("kernel " + name + " is busy with another cell; try again when it is done");
      }
    } else if (!kernel.cells.tryLock()) {
      throw new Conflict("kernel " + name + " is busy with another cell; try again when it is done");
    }
    try {
      if (kernel.dead()) { // died while we waited
        kernel = kernel(name);
      }
      String note = lost.remove(name);
      if (note != null) {
        listener.accept(new KernelOutput.Stream("stderr", "[" + note + "; this is a fresh kernel]\n"));
      }
      CellResult result = kernel.run(code, limit, settings.interruptGrace(), listener);
      if (note != null) {
        List<KernelOutput> outputs = new ArrayList<>();
        outputs.add(new KernelOutput.Stream("stderr", "[" + note + "; this is a fresh kernel]\n"));
        outputs.addAll(result.outputs());
        result = new CellResult(result.status(), result.executionCount(), outputs, result.duration(), result.kernelLost());
      }
      if (kernel.dead() && kernels.remove(name, kernel)) {
        lost.put(name, Optional.ofNullable(kernel.deathReason()).orElse("the previous kernel died"));
      }
      return result;
    } finally {
      kernel.cells.unlock();
    }
  }

  /** Sends SIGINT to the running cell of the kernel. */
  public void interrupt(String name) {
    running(name).interrupt();
  }

  /** Replaces the kernel with a fresh one (its state is dropped). */
  public KernelInfo restart(String name) throws InterruptedException {
    shutdown(name);
    lost.remove(name);
    return start(name);
  }

  /** Stops the kernel; its state is dropped. */
  public void shutdown(String name) {
    Kernel kernel = running(name);
    kernels.remove(name, kernel);
    kernel.stop();
    lost.remove(name);
  }

  /** Stops every kernel and the host (the workspace is stopping or idle). */
  public void stopAll() {
    hostLock.lock();
    try {
      kernels.clear();
      lost.clear();
      if (host != null) {
        host.stop();
        host = null;
      }
    } finally {
      hostLock.unlock();
    }
  }

  @Override
  public void close() {
    reaper.shutdownNow();
    stopAll();
  }

  private Kernel running(String name) {
    Kernel kernel = kernels.get(name);
    if (kernel == null || kernel.dead()) {
      throw new NotFound("no running kernel named " + name);
    }
    return kernel;
  }

  private Kernel kernel(String name) throws InterruptedException {
    Kernel kernel = kernels.get(name);
    if (kernel != null && !kernel.dead()) {
      return kernel;
    }
    if (kernel != null) {
      kernels.remove(name, kernel);
      lost.put(name, Optional.ofNullable(kernel.deathReason()).orElse("the previous kernel died"));
    }
    hostLock.lock();
    try {
      kernel = kernels.get(name);
      if (kernel != null && !kernel.dead()) {
        return kernel;
      }
      long alive = kernels.values().stream().filter(k -> !k.dead()).count();
      if (alive >= settings.maxKernels()) {
        throw new QuotaExceeded("at most " + settings.maxKernels() + " kernels may run in a workspace; shut one down first");
      }
      KernelHost current = currentHost();
      kernel = current.fork(name, home);
      kernels.put(name, kernel);
    } finally {
      hostLock.unlock();
    }
    if (!kernel.awaitStarted(KERNEL_START)) {
      kernels.remove(name, kernel);
      throw new Unavailable("the kernel did not start" + Optional.ofNullable(kernel.deathReason()).map(r -> ": " + r).orElse(""));
    }
    return kernel;
  }

  private KernelHost currentHost() {
    hostLock.lock();
    try {
      KernelHost current = host;
      if (current == null || !current.alive()) {
        if (current != null) {
          for (var entry : kernels.entrySet()) {
            lost.putIfAbsent(entry.getKey(), "the kernel host stopped");
          }
          kernels.clear();
        }
        long started = System.nanoTime();
        try {
          current = KernelHost.start(supervisor.get(), hostSpec.get(), oomKills, HOST_START);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Unavailable("interrupted while starting the kernel host");
        }
        log.info("kernel host started in {} ms", (System.nanoTime() - started) / 1_000_000);
        host = current;
      }
      return current;
    } finally {
      hostLock.unlock();
    }
  }

  private void reapIdle() {
    Instant cutoff = Instant.now().minus(settings.idleTimeout());
    for (Kernel kernel : kernels.values()) {
      if (!kernel.cells.isLocked() && kernel.lastActivity().isBefore(cutoff)) {
        log.info("stopping idle kernel {}", kernel.name());
        try {
          shutdown(kernel.name());
        } catch (RuntimeException e) {
          log.debug("idle kernel {} already gone: {}", kernel.name(), e.getMessage());
        }
      }
    }
    if (kernels.isEmpty() && host != null) {
      stopAll(); // the host holds the imported libraries: free them too
    }
  }
}
