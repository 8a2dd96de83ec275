package dev.sandcastle.interpreter.openai;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP exchange read blockingly by the calling thread, with an idle timeout between pieces
 * of the response, and prompt abort on {@link #close()}.
 *
 * <p>The HttpClient's threads only enqueue what arrives, reading ahead up to {@link #READ_AHEAD}
 * pieces, so a slow reader holds back the upstream without slowing a fast one.
 *
 * <p>Closing before the end drops the connection: the JDK shuts the socket down for writing at
 * once (the upstream reads end-of-stream, which HTTP servers take as the client leaving) and
 * releases it when its selector next wakes (at the latest after 3 s, when the upstream writes
 * again, or another connection of the client has traffic). Not thread-safe except for {@link
 * #close()}, which any thread may call.
 */
final class Exchange implements AutoCloseable {
  /** Why a blocking method gave up. */
  sealed interface Failure {}

  /** The upstream sent nothing for the idle timeout. */
  record IdleTimeout(Duration timeout) implements Failure {}

  /** The exchange failed: connection refused, reset, ... */
  record Broken(Throwable cause) implements Failure {}

  /** The calling thread was interrupted (the exchange is closed, the flag is set again). */
  record Interrupted() implements Failure {}

  /** Thrown by the blocking methods; the exchange is closed when it is thrown. */
  static final class Failed extends RuntimeException {
    final transient Failure failure;

    Failed(Failure failure) {
      super(failure.toString(), null, false, false);
      this.failure = failure;
    }
  }

  static final int READ_AHEAD = 64;
  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicBoolean starved = new AtomicBoolean();
  private final Duration idle;
  private final CompletableFuture<HttpResponse<Void>> future;
  private final CompletableFuture<Void> body = new CompletableFuture<>();
  private volatile Flow.Subscription subscription;
  private volatile boolean closed;
  private boolean ended;
  private boolean truncated;
  private HttpResponse.ResponseInfo info;

  private Exchange(HttpClient http, HttpRequest request, Duration idle) {
    this.idle = idle;
    this.future = http.sendAsync(request, this::subscriber);
    future.whenComplete((response, error) -> {
      if (error != null) {
        queue.add(new Broken(unwrap(error)));
      }
    });
  }

  /**
   * Sends the request and waits for the response's status and headers.
   *
   * @throws Failed the upstream did not answer in time, the exchange failed, or the thread was
   *     interrupted
   */
  static Exchange open(HttpClient http, HttpRequest request, Duration idle) {
    Exchange exchange = new Exchange(http, request, idle);
    try {
      Object first = exchange.take(idle.toNanos());
      if (first instanceof HttpResponse.ResponseInfo responseInfo) {
        exchange.info = responseInfo;
        return exchange;
      }
      throw exchange.fail(first);
    } catch (RuntimeException e) {
      exchange.close();
      throw e;
    }
  }

  int status() {
    return info.statusCode();
  }

  Optional<String> header(String name) {
    return info.headers().firstValue(name);
  }

  /**
   * The next piece of the body, or empty at its end.
   *
   * @throws Failed see {@link #open}
   */
  Optional<List<ByteBuffer>> next() {
    if (ended) {
      return Optional.empty();
    }
    Object item = take(idle.toNanos());
    if (item == END) {
      ended = true;
      return Optional.empty();
    }
    if (item instanceof List<?> list) {
      @SuppressWarnings("unchecked")
      List<ByteBuffer> buffers = (List<ByteBuffer>) list;
      return Optional.of(buffers);
    }
    throw fail(item);
  }

  /**
   * The rest of the body, at most {@code limit} bytes of it: when there is more, the exchange is
   * closed and {@link #truncated()} is true.
   */
  byte[] readAll(int limit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Optional<List<ByteBuffer>> piece = next(); piece.isPresent(); piece = next()) {
      for (ByteBuffer buffer : piece.get()) {
        byte[] bytes = new byte[Math.min(buffer.remaining(), limit - out.size())];
        buffer.get(bytes);
        out.writeBytes(bytes);
        if (buffer.hasRemaining()) {
          truncated = true;
          close();
          return out.toByteArray();
        }
      }
    }
    return out.toByteArray();
  }

  /** True when {@link #readAll} stopped at its limit. */
  boolean truncated() {
    return truncated;
  }

  /**
   * Reads and drops the rest of the body for at most {@code timeout}, so the connection can serve
   * the next request; closes the exchange when the body does not end in time. Never fails.
   */
  void drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!ended) {
        Object item = next(deadline - System.nanoTime());
        if (item == null || item instanceof Failure) {
          close();
          return;
        }
      }
    } catch (Failed e) {
      // interrupted: closed already
    }
  }

  /** Aborts the exchange unless its body was read to the end. Idempotent. */
  @Override
  public void close() {
    closed = true;
    if (ended) {
      return;
    }
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    future.cancel(true);
  }

  /** Like {@link #next()} with a wait limit; null when it passed. */
  private Object next(long nanos) {
    if (nanos <= 0) {
      return null;
    }
    try {
      Object item = queue.poll(nanos, TimeUnit.NANOSECONDS);
      if (item == null) {
        return null;
      }
      return accept(item);
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new Failed(new Interrupted());
    }
  }

  private Object take(long nanos) {
    if (closed) {
      throw new Failed(new Broken(new IllegalStateException("the exchange is closed")));
    }
    Object item;
    try {
      item = queue.poll(nanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new Failed(new Interrupted());
    }
    if (item == null) {
      close();
      throw new Failed(new IdleTimeout(idle));
    }
    return accept(item);
  }

  /** Bookkeeping for a taken item: the end, or room for more read-ahead. */
  private Object accept(Object item) {
    if (item == END) {
      ended = true;
    } else if (item instanceof List<?> && starved.compareAndSet(true, false)) {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.request(1);
      }
    } else if (item instanceof Failure) {
      close();
    }
    return item;
  }

  private Failed fail(Object item) {
    close();
    if (item instanceof Failure failure) {
      return new Failed(failure);
    }
    return new Failed(new Broken(new IllegalStateException("unexpected " + item)));
  }

  private HttpResponse.BodySubscriber<Void> subscriber(HttpResponse.ResponseInfo responseInfo) {
    queue.add(responseInfo);
    return new HttpResponse.BodySubscriber<>() {
      @Override
      public CompletionStage<Void> getBody() {
        return body;
      }

      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
          s.cancel();
        } else {
          s.request(1);
        }
      }

      @Override
      public void onNext(List<ByteBuffer> item) {
        queue.add(item);
        if (queue.size() < READ_AHEAD) {
          subscription.request(1);
        } else {
          starved.set(true);
          if (queue.isEmpty() && starved.compareAndSet(true, false)) {
            subscription.request(1); // the reader emptied the queue meanwhile
          }
        }
      }

      @Override
      public void onError(Throwable throwable) {
        queue.add(new Broken(throwable));
        body.completeExceptionally(throwable);
      }

      @Override
      public void onComplete() {
        queue.add(END);
        body.complete(null);
      }
    };
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
