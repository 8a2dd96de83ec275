package dev.sandcastle.core.exec;

import dev.sandcastle.core.concurrent.Guard;
import dev.sandcastle.core.sandbox.ChannelListener;
import dev.sandcastle.core.sandbox.SpawnFailure;
import dev.sandcastle.core.sandbox.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One command: its state, its bounded output, and the channel to its process. Written by the
 * supervisor's reader thread (as a {@link ChannelListener}), read by request threads; one lock
 * guards both, and waiting requests park on a condition (cheap on virtual threads).
 */
final class Execution implements ChannelListener {
  private final String id;
  private final String command;
  private final String logPath;
  private final OutputLog output;
  private final LongSupplier oomKills;
  private final long oomKillsAtStart;
  private final Runnable onEnd;
  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when the command ends (or fails to start): the one event waiting requests need. */
  private final Condition ended = lock.newCondition();
  /** Signalled when the process starts, for requests that return at once. */
  private final Condition launched = lock.newCondition();
  private boolean started;
  private boolean closed;
  private SpawnFailure failure;
  private Supervisor.Channel channel;
  private ExecStatus status = ExecStatus.RUNNING;
  private Integer exitCode;
  private Instant finishedAt;
  private boolean killRequested;
  private boolean timedOut;

  /** @param onEnd runs once, on the reader thread, when the command ends */
  /**
   * @param oomKillsAtStart the workspace's OOM-kill count as last read (it may be stale: it is
   *     read only when a process dies of SIGKILL, so an unexplained SIGKILL leans towards "oom")
   * @param oomKills reads the current count
   */
  Execution(String id, String command, OutputLog output, String logPath, long oomKillsAtStart, LongSupplier oomKills, Runnable onEnd) {
    this.id = id;
    this.command = command;
    this.output = output;
    this.logPath = logPath;
    this.oomKills = oomKills;
    this.oomKillsAtStart = oomKillsAtStart;
    this.onEnd = onEnd;
  }

  String id() {
    return id;
  }

  void attach(Supervisor.Channel channel) {
    lock.lock();
    try {
      this.channel = channel;
    } finally {
      lock.unlock();
    }
  }

  Supervisor.Channel channel() {
    return channel;
  }

  boolean running() {
    lock.lock();
    try {
      return status == ExecStatus.RUNNING && failure == null;
    } finally {
      lock.unlock();
    }
  }

  /** When it finished, or null while running. */
  Instant finishedAt() {
    lock.lock();
    try {
      return finishedAt;
    } finally {
      lock.unlock();
    }
  }

  void markKillRequested(boolean timeout) {
    lock.lock();
    try {
      if (status == ExecStatus.RUNNING) {
        killRequested = true;
        timedOut |= timeout;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until the command ends (or could not start) or the wait passes. */
  void await(Duration wait) throws InterruptedException {
    Guard.await(lock, ended, () -> status != ExecStatus.RUNNING || failure != null, wait);
  }

  /**
   * Blocks until the supervisor has answered the spawn request, at most {@code limit}.
   *
   * @return whether it answered
   */
  boolean awaitLaunch(Duration limit) throws InterruptedException {
    return Guard.await(lock, launched, () -> started || failure != null, limit);
  }

  /** Why the process could not start, if it could not. */
  java.util.Optional<SpawnFailure> failure() {
    lock.lock();
    try {
      return java.util.Optional.ofNullable(failure);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void started(long pid) {
    lock.lock();
    try {
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
      ended.signalAll();
    } finally {
      lock.unlock();
    }
    onEnd.run();
  }

  ExecutionView view(long offset, int tail) {
    lock.lock();
    try {
      OutputLog.Slice slice = output.slice(offset, tail);
      return new ExecutionView(id, command, status.wire(), exitCode, slice.entries(), slice.truncated(), slice.nextOffset(), logPath);
    } finally {
      lock.unlock();
    }
  }

  ExecutionSummary summary() {
    lock.lock();
    try {
      return new ExecutionSummary(id, command, status.wire(), exitCode, logPath);
    } finally {
      lock.unlock();
    }
  }

  void deleteLog() {
    lock.lock();
    try {
      output.delete();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void output(boolean stderr, byte[] data) {
    lock.lock();
    try {
      output.append(stderr, data);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void exited(int code, int signal) {
    boolean killedBySigkill = signal == 9 || code == 137;
    long oomNow = killedBySigkill ? oomKills.getAsLong() : oomKillsAtStart; // the cgroup file only when needed
    lock.lock();
    try {
      if (status != ExecStatus.RUNNING) {
        return;
      }
      if (timedOut) {
        status = ExecStatus.TIMED_OUT;
      } else if (killRequested) {
        status = ExecStatus.KILLED;
      } else if (killedBySigkill && oomNow > oomKillsAtStart) {
        status = ExecStatus.OOM;
      } else {
        status = ExecStatus.DONE;
      }
      exitCode = code;
      finishedAt = Instant.now();
      ended.signalAll();
    } finally {
      lock.unlock();
    }
    onEnd.run();
  }

  /** Whether every process holding the command's output has gone (its whole process group, usually). */
  boolean outputClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void closed() {
    lock.lock();
    try {
      closed = true;
      output.finish();
    } finally {
      lock.unlock();
    }
  }
}
