package dev.sandcastle.core.exec;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.SpawnFailure;
import dev.sandcastle.core.sandbox.Supervisor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Commands of one workspace: started in the background in the workspace's sandbox, each with an
 * id, bounded output and an optional wall-clock timeout; kept for a retention period after they
 * end, then forgotten with their logs.
 */
public final class ExecService implements AutoCloseable {
  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;
  private static final Duration KILL_GRACE = Duration.ofSeconds(3);
  private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration KILL_REPEAT_FOR = Duration.ofSeconds(10);

  private final Supplier<Supervisor> supervisor;
  private final LongSupplier oomKills;
  private final ExecSettings settings;
  private final Path hostLogs;
  private final String viewLogs;
  private final Map<String, Execution> executions = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final SecureRandom random = new SecureRandom();
  private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
  private volatile long lastOomKills;

  /**
   * @param supervisor gives the workspace's running supervisor, starting it when needed
   * @param oomKills the workspace cgroup's OOM-kill counter
   * @param hostLogs where logs are written; {@code viewLogs} is the same directory as commands see it
   */
  public ExecService(Supplier<Supervisor> supervisor, LongSupplier oomKills, ExecSettings settings, Path hostLogs, String viewLogs) {
    this.supervisor = supervisor;
    this.oomKills = oomKills;
    this.settings = settings;
    this.hostLogs = hostLogs;
    this.viewLogs = viewLogs;
    this.lastOomKills = oomKills.getAsLong();
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("exec-timer").daemon().factory());
    timer.scheduleWithFixedDelay(this::sweep, 30, 30, TimeUnit.SECONDS);
  }

  /**
   * What to run.
   *
   * @param argv the program, usually a shell with the command
   * @param cwd working directory as commands see it (already checked)
   * @param env complete environment
   * @param timeout wall-clock limit; zero means the service default
   */
  public record Start(String command, List<String> argv, String cwd, Map<String, String> env, Duration timeout) {
    public Start {
      argv = List.copyOf(argv);
      env = Map.copyOf(env);
      if (timeout.isNegative()) {
        throw new BadRequest("timeout must not be negative");
      }
    }
  }

  /** Starts a command; with a positive wait, blocks until it ends or the wait passes. */
  public ExecutionView start(Start start, Duration wait, int tail) throws InterruptedException {
    if (running.get() >= settings.maxRunning()) {
      throw new QuotaExceeded("at most " + settings.maxRunning() + " commands may run at once; wait for some to finish or kill them");
    }
    String id = newId();
    OutputLog log = new OutputLog(hostLogs.resolve(id + ".log"), settings.memoryCap(), settings.diskCap());
    Execution execution = new Execution(id, start.command(), log, viewLogs + "/" + id + ".log", lastOomKills, this::readOomKills, running::decrementAndGet);
    var spec = new dev.sandcastle.core.sandbox.SpawnSpec(start.argv(), start.cwd(), start.env());
    running.incrementAndGet();
    Supervisor.Channel channel;
    try {
      channel = supervisor.get().spawn(spec, execution);
    } catch (RuntimeException e) {
      running.decrementAndGet();
      log.delete();
      throw e;
    }
    execution.attach(channel);
    executions.put(id, execution);
    Duration timeout = start.timeout().isZero() ? settings.defaultTimeout() : start.timeout();
    if (!timeout.isZero()) {
      timer.schedule(() -> expire(execution), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    // One wake-up per request: the end when waiting, else the launch.
    boolean answered = wait.isZero() ? execution.awaitLaunch(LAUNCH_TIMEOUT) : awaitEndOrLaunch(execution, wait);
    Optional<SpawnFailure> failure = execution.failure();
    if (failure.isPresent() || !answered) {
      executions.remove(id);
      log.delete();
      if (!answered) {
        signal(execution, SIGKILL);
        throw new Unavailable("the workspace did not start the process in time");
      }
      throw failure.get().toException();
    }
    if (executions.size() > settings.maxFinished() + settings.maxRunning()) {
      sweep();
    }
    return execution.view(0, tail);
  }

  private static boolean awaitEndOrLaunch(Execution execution, Duration wait) throws InterruptedException {
    execution.await(wait);
    return execution.awaitLaunch(LAUNCH_TIMEOUT);
  }

  /** The command's state and output from {@code offset}; with a wait, blocks until it ends or the wait passes. */
  public ExecutionView status(String id, Duration wait, long offset, int tail) throws InterruptedException {
    Execution execution = find(id);
    if (!wait.isZero()) {
      execution.await(wait);
    }
    return execution.view(offset, tail);
  }

  /** Writes text (escape sequences decoded) to the command's standard input. */
  public void input(String id, String text) {
    Execution execution = find(id);
    if (!execution.running()) {
      throw new BadRequest("process " + id + " has exited; it cannot take input");
    }
    execution.channel().write(Escapes.decode(text).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Stops the command's process group: SIGKILL when {@code force}, else SIGTERM, then SIGKILL if it
   * is still running after a grace period. Returns once it has ended (or the grace periods passed).
   * A command that already ended still has its leftover process group signalled.
   */
  public void kill(String id, boolean force) throws InterruptedException {
    Execution execution = find(id);
    if (!execution.running()) {
      // The command ended, but jobs it left in its process group (a fork bomb, a server started
      // with &) may live on while they hold its output open: they go too.
      signal(execution, force ? SIGKILL : SIGTERM);
      return;
    }
    execution.markKillRequested(false);
    signal(execution, force ? SIGKILL : SIGTERM);
    execution.await(KILL_GRACE);
    if (execution.running()) {
      signal(execution, SIGKILL);
      execution.await(KILL_GRACE);
    }
  }

  public List<ExecutionSummary> list() {
    return executions.values().stream()
        .sorted(Comparator.comparing(Execution::id))
        .map(Execution::summary)
        .toList();
  }

  /** Forgets finished commands past the retention period or beyond the count limit, with their logs. */
  void sweep() {
    Instant cutoff = Instant.now().minus(settings.retention());
    List<Execution> finished = executions.values().stream()
        .filter(e -> e.finishedAt() != null)
        .sorted(Comparator.comparing(Execution::finishedAt))
        .toList();
    int excess = finished.size() - settings.maxFinished();
    for (Execution execution : finished) {
      if (excess-- > 0 || execution.finishedAt().isBefore(cutoff)) {
        executions.remove(execution.id());
        execution.deleteLog();
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private void expire(Execution execution) {
    if (!execution.running()) {
      return;
    }
    execution.markKillRequested(true);
    signal(execution, SIGTERM);
    // The group is killed even when its leader obeyed SIGTERM: its children may not have.
    timer.schedule(() -> {
      if (execution.running() || !execution.outputClosed()) {
        signal(execution, SIGKILL);
      }
    }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void signal(Execution execution, int signal) {
    try {
      execution.channel().signal(signal, true);
    } catch (RuntimeException e) {
      return; // the supervisor is gone, and the process with it
    }
    if (signal == SIGKILL) {
      repeatKill(execution, System.nanoTime() + KILL_REPEAT_FOR.toNanos());
    }
  }

  /**
   * A process that is forking while its group is killed can leave a child behind (a fork bomb
   * does little else), so SIGKILL goes to the group again until no member holds the command's
   * output any more, for a bounded time.
   */
  private void repeatKill(Execution execution, long deadline) {
    if (execution.outputClosed() || System.nanoTime() > deadline || timer.isShutdown()) {
      return;
    }
    timer.schedule(() -> {
      if (!execution.outputClosed()) {
        try {
          execution.channel().signal(SIGKILL, true);
        } catch (RuntimeException e) {
          return;
        }
        repeatKill(execution, deadline);
      }
    }, 50, TimeUnit.MILLISECONDS);
  }

  private long readOomKills() {
    long count = oomKills.getAsLong();
    lastOomKills = count;
    return count;
  }

  private Execution find(String id) {
    Execution execution = executions.get(id);
    if (execution == null) {
      throw new NotFound("no process with id " + id);
    }
    return execution;
  }

  private String newId() {
    byte[] bytes = new byte[6];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
