package dev.sandcastle.orchestrator.backend.docker;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The docker backend's started containers waiting for new tenants, and the bound on how many
 * containers boot at once.
 *
 * <p>Booting a workspace (the container's start, its JVM, its sandbox) is CPU-bound. When more
 * boot than there are cores they share the cores and all finish late; booting at most as many at
 * once as there are cores lets the first tenants of a burst in early and the median wait is about
 * half (measured with ten new tenants on two cores). So every boot, a tenant's own or a spare's,
 * first takes a {@link Slot}. A new tenant of the pool's policy takes a ready spare if there is
 * one, else waits for a spare being made that no other tenant waits for (half booted, it is ready
 * sooner than a new container), else takes whichever comes first: a spare becoming ready (the pool
 * refills while tenants wait) or a free slot to boot its own container.
 *
 * <p>Thread-safe; spares are made on virtual threads. {@code make} boots one spare (called with a
 * slot held, on a pool thread; it throws when it fails and leaves nothing behind), {@code discard}
 * removes one (on close, or a spare nobody can use).
 */
final class WarmPool {
  private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
  private static final long POLL_MILLIS = 10;

  /** Permission to boot one container; released once it answers (or failed). */
  static final class Slot implements AutoCloseable {
    private final Semaphore slots;
    private boolean held = true;

    private Slot(Semaphore slots) {
      this.slots = slots;
    }

    @Override
    public synchronized void close() {
      if (held) {
        held = false;
        slots.release();
      }
    }
  }

  /** What a new tenant gets: a ready spare, or a slot to boot its own container. */
  sealed interface Claim permits Spare, Own {}

  record Spare(Instance.Remote instance) implements Claim {}

  record Own(Slot slot) implements Claim {}

  private final Semaphore slots;
  private final Supplier<Instance.Remote> make;
  private final Consumer<Instance.Remote> discard;
  private final ConcurrentLinkedDeque<Instance.Remote> ready = new ConcurrentLinkedDeque<>();
  private final AtomicInteger making = new AtomicInteger();
  private final AtomicInteger reservations = new AtomicInteger(); // claimants waiting for a spare being made
  private final AtomicInteger discarded = new AtomicInteger(); // spares made after the pool closed
  private volatile Policy policy;
  private volatile int size;
  private volatile boolean enabled;
  private volatile boolean closed;

  /**
   * @param bootsAtOnce how many containers may boot at once (the cores of the engine's machine)
   * @param make boots one spare of {@link #policy()}
   * @param discard removes a spare
   */
  WarmPool(int bootsAtOnce, Supplier<Instance.Remote> make, Consumer<Instance.Remote> discard) {
    this.slots = new Semaphore(Math.max(1, bootsAtOnce), true);
    this.make = make;
    this.discard = discard;
  }

  /** Keeps {@code count} spares of {@code policy}; filling starts with {@link #enable}. */
  void keep(Policy policy, int count) {
    this.policy = policy;
    this.size = Math.max(0, count);
  }

  /** The policy spares are made for (null before {@link #keep}). */
  Policy policy() {
    return policy;
  }

  /** Starts filling (once the backend knows which containers are its tenants'). */
  void enable() {
    enabled = true;
    refill();
  }

  int ready() {
    return ready.size();
  }

  /** Waits (up to {@code timeout}) for a slot to boot a container. */
  Slot slot(Duration timeout) {
    try {
      if (!slots.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new Unavailable("too many workspaces are starting; try again shortly");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while waiting to start a workspace");
    }
    return new Slot(slots);
  }

  /**
   * For a new tenant of {@code tenantPolicy}: a ready spare when the pool serves that policy and
   * has or soon makes one, else a slot to boot the tenant's own container. Starts a refill.
   */
  Claim claim(Policy tenantPolicy, Duration timeout) {
    if (size == 0 || !tenantPolicy.equals(policy)) {
      return new Own(slot(timeout));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean reserved = false; // waiting for a spare on its way: one half booted is ready sooner than a new container
    try {
      while (true) {
        Instance.Remote spare = ready.poll();
        if (spare != null) {
          return new Spare(spare);
        }
        if (!reserved) {
          int now = reservations.get();
          if (now < making.get() && reservations.compareAndSet(now, now + 1)) {
            reserved = true;
            continue;
          }
          if (slots.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            Instance.Remote late = ready.poll(); // one may have become ready meanwhile
            if (late != null) {
              slots.release();
              return new Spare(late);
            }
            return new Own(new Slot(slots));
          }
        } else if (reservations.get() > making.get()) {
          reservations.decrementAndGet(); // the one awaited failed, or another tenant took it
          reserved = false;
        } else {
          Thread.sleep(POLL_MILLIS);
        }
        if (closed || System.nanoTime() > deadline) {
          throw new Unavailable("too many workspaces are starting; try again shortly");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while waiting for a workspace");
    } finally {
      if (reserved) {
        reservations.decrementAndGet();
      }
      refill();
    }
  }

  /** Makes spares, each on a virtual thread with a slot, until ready and on their way reach the size. */
  void refill() {
    while (enabled && !closed) {
      int now = making.get();
      if (ready.size() + now >= size) {
        return;
      }
      if (making.compareAndSet(now, now + 1)) {
        Thread.ofVirtual().name("docker-warm-pool").start(this::makeOne);
      }
    }
  }

  private void makeOne() {
    try (Slot slot = slot(Duration.ofMinutes(10))) {
      if (closed) {
        return;
      }
      Instance.Remote spare = make.get();
      if (closed) {
        discard.accept(spare);
        discarded.incrementAndGet();
      } else {
        ready.add(spare);
      }
    } catch (RuntimeException e) {
      if (!closed) {
        log.warn("the warm pool could not be filled: {}", e.toString());
      }
      return; // no retry loop: the next tenant's claim refills
    } finally {
      making.decrementAndGet();
    }
    refill();
  }

  /** Stops refilling, waits (up to 30 s) for spares being made, and removes every spare (those finished meanwhile too); returns how many. */
  int drain() {
    closed = true;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (making.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int removed = discarded.get();
    for (Instance.Remote spare; (spare = ready.poll()) != null; ) {
      discard.accept(spare);
      removed++;
    }
    return removed;
  }
}
