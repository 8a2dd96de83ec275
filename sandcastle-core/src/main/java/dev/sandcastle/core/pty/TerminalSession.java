package dev.sandcastle.core.pty;

import dev.sandcastle.core.concurrent.Guard;
import dev.sandcastle.core.sandbox.ChannelListener;
import dev.sandcastle.core.sandbox.SpawnFailure;
import dev.sandcastle.core.sandbox.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One interactive terminal: a shell on a pseudo-terminal inside the sandbox, the recent output in
 * a {@link Scrollback} ring, and the clients attached to it.
 *
 * <p>Output arrives on the supervisor's reader thread ({@link ChannelListener}); it is copied into
 * the ring, and each attached client is sent what it has not seen yet, one chunk in flight at a
 * time, without ever blocking that thread. A client that falls further behind than the ring holds
 * skips ahead. Flow control keeps the program honest: the supervisor stops reading the terminal
 * once a window of output is unacknowledged, and this session acknowledges output as the fastest
 * attached client takes it. When nobody is attached, the terminal keeps running (as in tmux: a
 * build goes on while the laptop sleeps) but its output is acknowledged at a modest rate
 * ({@link #DETACHED_RATE}), so a forgotten {@code yes} does not burn the workspace's and the
 * server's CPU for the whole grace period. So a flood is paced by the client that watches it,
 * memory stays at the ring plus one chunk per client, and the reader thread stays free for every
 * other process.
 *
 * <p>One lock guards the state; no callback runs while it is held.
 */
final class TerminalSession implements ChannelListener {
  private static final Logger log = LoggerFactory.getLogger(TerminalSession.class);
  /** Output per second a terminal may produce while no client is attached. */
  static final long DETACHED_RATE = 1 << 20;

  private final String id;
  private final Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
  private final int window;
  private final Executor acker;
  private final ScheduledExecutorService timer;
  private final Consumer<TerminalSession> onEnd;
  final ReentrantLock lock = new ReentrantLock();
  private final Condition launched = lock.newCondition();
  final Scrollback scrollback;
  final List<Attachment> clients = new ArrayList<>();
  private final AtomicLong owed = new AtomicLong();
  private final AtomicBoolean ackQueued = new AtomicBoolean();
  private Supervisor.Channel channel;
  private long pid;
  private boolean started;
  private SpawnFailure failure;
  private TerminalEnd exit;
  /** Set once the shell ended and all its output arrived; clients end after sending the rest. */
  TerminalEnd end;
  /** Output acknowledged to the supervisor so far. */
  private long credited;
  /** When the last client left (or the terminal was created): starts the grace period. */
  private long detachedSince = System.nanoTime();
  /** Output that may still be acknowledged while detached (a token bucket of one window). */
  private long detachedBudget;
  private long detachedBudgetAt = System.nanoTime();
  private boolean resettleScheduled;

  /**
   * @param window the supervisor's flow-control window (0: none)
   * @param acker runs acknowledgements, which write to the supervisor, off the reader thread
   * @param timer paces the acknowledgements of a detached terminal
   * @param onEnd runs once, on the reader thread, when the shell has ended
   */
  TerminalSession(String id, int scrollbackBytes, int window, Executor acker, ScheduledExecutorService timer,
      Consumer<TerminalSession> onEnd) {
    this.id = id;
    this.scrollback = new Scrollback(scrollbackBytes);
    this.window = window;
    this.acker = acker;
    this.timer = timer;
    this.onEnd = onEnd;
    this.detachedBudget = window;
  }

  String id() {
    return id;
  }

  Instant createdAt() {
    return createdAt;
  }

  void setChannel(Supervisor.Channel channel) {
    lock.lock();
    try {
      this.channel = channel;
      settleCredit();
    } finally {
      lock.unlock();
    }
  }

  TerminalInfo info() {
    lock.lock();
    try {
      return new TerminalInfo(id, createdAt.toString(), pid, clients.size());
    } finally {
      lock.unlock();
    }
  }

  boolean started() {
    lock.lock();
    try {
      return started;
    } finally {
      lock.unlock();
    }
  }

  boolean ended() {
    lock.lock();
    try {
      return end != null;
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until the supervisor answered the spawn; returns whether it did within the limit. */
  boolean awaitStart(Duration limit) throws InterruptedException {
    return Guard.await(lock, launched, () -> started || failure != null, limit);
  }

  Optional<SpawnFailure> failure() {
    lock.lock();
    try {
      return Optional.ofNullable(failure);
    } finally {
      lock.unlock();
    }
  }

  /** Whether no client has been attached for longer than the grace period. */
  boolean abandoned(long nowNanos, Duration grace) {
    lock.lock();
    try {
      return started && clients.isEmpty() && nowNanos - detachedSince > grace.toNanos();
    } finally {
      lock.unlock();
    }
  }

  /** Attaches a client; it is sent the scrollback first, then live output. */
  Attachment attach(TerminalClient client) {
    Attachment attachment;
    lock.lock();
    try {
      attachment = new Attachment(this, client, scrollback.replayStart());
      clients.add(attachment);
    } finally {
      lock.unlock();
    }
    attachment.pump();
    return attachment;
  }

  void detach(Attachment attachment) {
    lock.lock();
    try {
      if (!clients.remove(attachment)) {
        return;
      }
      if (clients.isEmpty()) {
        detachedSince = System.nanoTime();
        detachedBudget = window;
        detachedBudgetAt = detachedSince;
      }
      settleCredit();
    } finally {
      lock.unlock();
    }
  }

  /** Keystrokes (or a paste) for the shell; dropped once it has ended. */
  void input(byte[] data) {
    Supervisor.Channel target = liveChannel();
    if (target != null && data.length > 0) {
      try {
        target.write(data);
      } catch (RuntimeException e) {
        // the sandbox stopped; the session ends through its listener
      }
    }
  }

  void resize(int cols, int rows) {
    Supervisor.Channel target = liveChannel();
    if (target != null) {
      try {
        target.resize(cols, rows);
      } catch (RuntimeException e) {
        // as above
      }
    }
  }

  /** Sends a signal to every process of the terminal's session. */
  void terminate(int signal) {
    Supervisor.Channel target = liveChannel();
    if (target != null) {
      try {
        target.signalSession(signal);
      } catch (RuntimeException e) {
        // as above
      }
    }
  }

  private Supervisor.Channel liveChannel() {
    lock.lock();
    try {
      return exit == null ? channel : null;
    } finally {
      lock.unlock();
    }
  }

  // Supervisor events, on its reader thread.

  @Override
  public void started(long pid) {
    lock.lock();
    try {
      this.pid = pid;
      started = true;
      launched.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void failed(SpawnFailure failure) {
    lock.lock();
    try {
      this.failure = failure;
      launched.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void output(boolean stderr, byte[] data) {
    Attachment[] targets;
    lock.lock();
    try {
      scrollback.append(data);
      targets = clients.toArray(Attachment[]::new);
      settleCredit();
    } finally {
      lock.unlock();
    }
    for (Attachment target : targets) {
      target.pump();
    }
  }

  @Override
  public void exited(int code, int signal) {
    lock.lock();
    try {
      exit = new TerminalEnd(code, signal);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void closed() {
    Attachment[] targets;
    lock.lock();
    try {
      end = exit != null ? exit : new TerminalEnd(137, 9);
      exit = end;
      targets = clients.toArray(Attachment[]::new);
    } finally {
      lock.unlock();
    }
    for (Attachment target : targets) {
      target.pump();
    }
    onEnd.accept(this);
  }

  /**
   * Returns flow-control credit to the supervisor up to what the fastest client has taken (while
   * detached: what arrived, within the budget of {@link #DETACHED_RATE}), in batches of a quarter
   * window. Lock held.
   */
  void settleCredit() {
    if (window <= 0 || channel == null || exit != null) {
      return;
    }
    long batch = Math.max(1, window / 4);
    long target;
    if (clients.isEmpty()) {
      long now = System.nanoTime();
      long elapsed = Math.min(now - detachedBudgetAt, 1_000_000_000L); // a second refills any window
      long refill = elapsed * DETACHED_RATE / 1_000_000_000L;
      if (refill > 0) {
        detachedBudget = Math.min(window, detachedBudget + refill);
        detachedBudgetAt = now;
      }
      target = credited + Math.min(scrollback.end() - credited, detachedBudget);
      if (target < scrollback.end()) {
        resettleLater(batch); // the supervisor may be paused: no output will come to call again
      }
    } else {
      target = 0;
      for (Attachment client : clients) {
        target = Math.max(target, client.delivered);
      }
    }
    long delta = target - credited;
    if (delta < batch) {
      return;
    }
    if (clients.isEmpty()) {
      detachedBudget -= delta;
    }
    credited = target;
    owed.addAndGet(delta);
    if (!ackQueued.getAndSet(true)) {
      try {
        acker.execute(this::flushCredit);
      } catch (RejectedExecutionException e) {
        ackQueued.set(false); // shutting down
      }
    }
  }

  /** Looks again once the detached budget has grown by a batch. Lock held. */
  private void resettleLater(long batch) {
    if (resettleScheduled) {
      return;
    }
    resettleScheduled = true;
    long delayNanos = batch * 1_000_000_000L / DETACHED_RATE;
    try {
      timer.schedule(() -> {
        lock.lock();
        try {
          resettleScheduled = false;
          settleCredit();
        } finally {
          lock.unlock();
        }
      }, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      resettleScheduled = false; // shutting down
    }
  }

  private void flushCredit() {
    ackQueued.set(false);
    long amount = owed.getAndSet(0);
    Supervisor.Channel target = liveChannel();
    try {
      while (amount > 0 && target != null) {
        int part = (int) Math.min(amount, Integer.MAX_VALUE);
        target.acknowledge(part);
        amount -= part;
      }
    } catch (RuntimeException e) {
      log.debug("terminal {}: cannot acknowledge output: {}", id, e.toString());
    }
  }
}
