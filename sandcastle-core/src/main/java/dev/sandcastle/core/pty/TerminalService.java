package dev.sandcastle.core.pty;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.SpawnFailure;
import dev.sandcastle.core.sandbox.SpawnSpec;
import dev.sandcastle.core.sandbox.Supervisor;
import dev.sandcastle.core.sandbox.TerminalOptions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interactive terminals of one workspace: shells on pseudo-terminals inside the workspace's
 * sandbox (same uid, limits and environment rules as commands), each with an unguessable id, a
 * scrollback ring and any number of attached clients.
 *
 * <p>Unlike upstream, a terminal outlives its clients: once the last one leaves, it waits a grace
 * period for a client to reattach (and replays the scrollback to it) before it is closed. Closing
 * a terminal hangs up its session (SIGHUP to every process in it, SIGKILL a moment later for
 * what ignores that); jobs started with {@code setsid} or {@code nohup} live on, as they would
 * after an ssh logout.
 */
public final class TerminalService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TerminalService.class);
  private static final int SIGHUP = 1;
  private static final int SIGKILL = 9;
  private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration KILL_GRACE = Duration.ofSeconds(2);
  private static final int COLS = 80;
  private static final int ROWS = 24;

  private final Supplier<Supervisor> supervisor;
  private final Function<String, SpawnSpec> shell;
  private final TerminalSettings settings;
  private final Map<String, TerminalSession> sessions = new ConcurrentHashMap<>();
  /** Open terminals, counted apart from the map so that the limit holds under concurrent creates. */
  private final AtomicInteger open = new AtomicInteger();
  private final ScheduledExecutorService timer;
  private final ExecutorService acker = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("terminal-ack").factory());
  private final SecureRandom random = new SecureRandom();

  /**
   * @param supervisor gives the workspace's running supervisor, starting it when needed
   * @param shell what to start in a new terminal, given its working directory (as the sandbox sees it)
   */
  public TerminalService(Supplier<Supervisor> supervisor, Function<String, SpawnSpec> shell, TerminalSettings settings) {
    this.supervisor = supervisor;
    this.shell = shell;
    this.settings = settings;
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("terminal-reaper").daemon().factory());
    long period = Math.clamp(settings.grace().toMillis() / 4, 50, 5_000);
    timer.scheduleWithFixedDelay(this::reap, period, period, TimeUnit.MILLISECONDS);
  }

  public TerminalSettings settings() {
    return settings;
  }

  /**
   * Opens a terminal: starts a shell in {@code cwd} and returns once it runs.
   *
   * @throws QuotaExceeded when the workspace has its maximum of terminals open, or its process limit is reached
   */
  public TerminalInfo create(String cwd) throws InterruptedException {
    int count;
    do {
      count = open.get();
      if (count >= settings.maxSessions()) {
        throw new QuotaExceeded("at most " + settings.maxSessions()
            + " terminals may be open in this workspace; close one (DELETE /api/terminals/{id}) and retry");
      }
    } while (!open.compareAndSet(count, count + 1));
    String id = newId();
    TerminalSession session = new TerminalSession(id, settings.scrollbackBytes(), settings.window(), acker, timer, this::ended);
    sessions.put(id, session);
    try {
      session.setChannel(supervisor.get().spawnTerminal(shell.apply(cwd), new TerminalOptions(COLS, ROWS, settings.window()), session));
    } catch (RuntimeException e) {
      forget(session);
      throw e;
    }
    boolean answered = session.awaitStart(LAUNCH_TIMEOUT);
    Optional<SpawnFailure> failure = session.failure();
    if (failure.isPresent() || !answered) {
      forget(session);
      if (!answered) {
        session.terminate(SIGKILL);
        throw new Unavailable("the workspace did not start the terminal in time");
      }
      throw failure.get().toException();
    }
    log.debug("terminal {} opened", id);
    return session.info();
  }

  /** The open terminals, oldest first. */
  public List<TerminalInfo> list() {
    return sessions.values().stream()
        .filter(s -> s.started() && !s.ended())
        .sorted(Comparator.comparing(TerminalSession::createdAt))
        .map(TerminalSession::info)
        .toList();
  }

  /** @throws NotFound when there is no such open terminal */
  public TerminalInfo get(String id) {
    return find(id).info();
  }

  /**
   * Attaches a client to a terminal: it is sent the recent scrollback, then live output.
   *
   * @throws NotFound when there is no such open terminal
   */
  public Attachment attach(String id, TerminalClient client) {
    return find(id).attach(client);
  }

  /**
   * Closes a terminal: hangs up its session and returns at once; attached clients are told how
   * the shell ended.
   *
   * @throws NotFound when there is no such open terminal
   */
  public void close(String id) {
    TerminalSession session = find(id);
    if (forget(session)) {
      hangUp(session);
    }
  }

  /** Closes terminals that nobody has been attached to for longer than the grace period. */
  void reap() {
    long now = System.nanoTime();
    for (TerminalSession session : sessions.values()) {
      if (session.abandoned(now, settings.grace()) && forget(session)) {
        log.info("terminal {}: no client for {} s; closing it", session.id(), settings.grace().toSeconds());
        hangUp(session);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    acker.shutdown();
    sessions.values().forEach(session -> {
      if (forget(session)) {
        session.terminate(SIGKILL);
      }
    });
  }

  private void hangUp(TerminalSession session) {
    session.terminate(SIGHUP);
    try {
      timer.schedule(() -> {
        if (!session.ended()) {
          session.terminate(SIGKILL);
        }
      }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      session.terminate(SIGKILL); // shutting down
    }
  }

  /** The shell ended (reader thread). */
  private void ended(TerminalSession session) {
    if (forget(session)) {
      log.debug("terminal {} ended", session.id());
    }
  }

  /** Removes a terminal from the open ones; true for the one caller that removed it. */
  private boolean forget(TerminalSession session) {
    if (sessions.remove(session.id(), session)) {
      open.decrementAndGet();
      return true;
    }
    return false;
  }

  private TerminalSession find(String id) {
    TerminalSession session = id == null ? null : sessions.get(id);
    if (session == null || !session.started() || session.ended()) {
      throw new NotFound("no terminal with id " + id);
    }
    return session;
  }

  /** 128 random bits: ids appear in URLs and logs, and one terminal's id must not lead to another's. */
  private String newId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
