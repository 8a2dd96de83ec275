package dev.sandcastle.orchestrator.backend.kubernetes;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting for an object to reach a state by reading it again and again (50 ms apart at first,
 * then up to 500 ms), on the calling thread. Preferred to a watch here: a watch that misses an
 * event (a reconnect, a proxy that drops it) waits until its next resync, while a read always
 * sees the present; and a start waits seconds for a pod, so a few reads a second cost nothing.
 */
public final class Polling {
  private Polling() {}

  /**
   * Reads {@code read} until {@code done} accepts what it returns (which may be null: a deleted
   * object) or {@code timeout} passes.
   *
   * @return the accepted value (null for a deleted object), or empty on timeout
   * @throws io.fabric8.kubernetes.client.KubernetesClientException when a read fails
   */
  public static <T> Optional<Holder<T>> until(Supplier<T> read, Predicate<T> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 50;
    while (true) {
      T value = read.get();
      if (done.test(value)) {
        return Optional.of(new Holder<>(value));
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      try {
        Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new dev.sandcastle.core.errors.Unavailable("interrupted while waiting for the cluster");
      }
      pause = Math.min(500, pause * 2);
    }
  }

  /** A value that may be null (a deleted object), inside an Optional that tells whether the wait ended in time. */
  public record Holder<T>(T value) {}
}
