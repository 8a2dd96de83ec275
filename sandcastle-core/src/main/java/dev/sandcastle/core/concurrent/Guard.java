package dev.sandcastle.core.concurrent;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/** Waiting on a condition for a state guarded by a lock: the one loop the services share. */
public final class Guard {
  private Guard() {}

  /**
   * Waits until {@code done} holds (checked under {@code lock}) or {@code limit} passes; parks the
   * caller on {@code condition}, cheap on virtual threads.
   *
   * @return whether {@code done} held at the end
   */
  public static boolean await(ReentrantLock lock, Condition condition, BooleanSupplier done, Duration limit)
      throws InterruptedException {
    long remaining = limit.toNanos();
    lock.lock();
    try {
      while (!done.getAsBoolean() && remaining > 0) {
        remaining = condition.awaitNanos(remaining);
      }
      return done.getAsBoolean();
    } finally {
      lock.unlock();
    }
  }
}
