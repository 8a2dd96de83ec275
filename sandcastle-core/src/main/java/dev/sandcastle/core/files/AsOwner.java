package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.Unavailable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs file operations with the rights of the workspace owner, not the server's: on a few
 * platform threads of their own whose file-system uid, gid and groups are the owner's ({@link
 * ThreadCredentials}), so the kernel checks every access as it would for the owner, and what they
 * create belongs to the owner without a chown.
 *
 * <p>Threads are made on demand, up to {@code threads} (so a slow upload or download does not hold
 * up the rest), and end after a minute without work. Each takes the owner's identity for each
 * operation and gives the server's back after it (so no thread it may spawn inherits the owner's),
 * and runs nothing if taking it fails: the operation fails instead, never falling back to root. The constructor runs one such start, so an owner the kernel refuses fails at once.
 *
 * <p>{@link #call} blocks the caller (typically a virtual thread) until the operation ends. An
 * operation that calls {@link #call} again from one of these threads runs in place. If the caller
 * is interrupted while waiting, the operation is interrupted too and {@link Unavailable} is
 * thrown. Code run here should touch the workspace only: the JVM loads classes lazily, and a
 * class file read on these threads is read with the owner's rights (fine for the application jar,
 * which is open already, and for world-readable class directories).
 */
final class AsOwner implements Rights {
  private static final long IDLE_SECONDS = 60;

  private final Owner owner;
  private final ThreadPoolExecutor pool;

  /**
   * @throws IllegalStateException if a thread cannot take the owner's identity (not root, an
   *     unsupported platform, no native access)
   */
  AsOwner(Owner owner, int threads) {
    if (owner.isNone()) {
      throw new IllegalArgumentException("acting as an owner needs one");
    }
    this.owner = owner;
    AtomicInteger count = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            threads, threads, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            task -> new OwnerThread(this, task, "files-" + owner.uid() + "-" + count.incrementAndGet()));
    pool.allowCoreThreadTimeOut(true);
    try {
      call(() -> null);
    } catch (RuntimeException e) {
      pool.shutdownNow();
      throw e;
    }
  }

  @Override
  public <T> T call(Supplier<T> operation) {
    if (Thread.currentThread() instanceof OwnerThread thread && thread.rights == this) {
      return operation.get();
    }
    Future<T> result;
    try {
      result = pool.submit(() -> {
        OwnerThread thread = (OwnerThread) Thread.currentThread();
        thread.takeIdentity();
        try {
          return operation.get();
        } finally {
          // Back to the server's identity before the result is handed over: completing the future
          // wakes the caller, and the JDK may create a thread (a virtual-thread carrier, say) from
          // this one right then. A new thread inherits its creator's credentials, so a carrier
          // made here would run every virtual thread scheduled on it as the workspace owner.
          thread.dropIdentity();
        }
      });
    } catch (RejectedExecutionException e) {
      throw new Unavailable("The workspace's file operations are shut down", e);
    }
    try {
      return result.get();
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case RuntimeException unchecked -> throw unchecked;
        case Error error -> throw error;
        default -> throw new IllegalStateException("a file operation failed", e.getCause());
      }
    } catch (InterruptedException e) {
      result.cancel(true);
      Thread.currentThread().interrupt();
      throw new Unavailable("Interrupted while waiting for a file operation", e);
    }
  }

  /** Lets running operations finish (for a few seconds), then ends the threads. */
  @Override
  public void close() {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static final class OwnerThread extends Thread {
    private final AsOwner rights;
    private ThreadCredentials.Identity server; // the identity it started with; touched by this thread only

    OwnerThread(AsOwner rights, Runnable task, String name) {
      super(task, name);
      this.rights = rights;
      setDaemon(true);
    }

    void takeIdentity() {
      if (server == null) {
        server = ThreadCredentials.current();
      }
      ThreadCredentials.become(rights.owner.uid(), rights.owner.gid());
    }

    void dropIdentity() {
      ThreadCredentials.restore(server);
    }
  }
}
