package dev.sandcastle.orchestrator.audit;

import dev.sandcastle.orchestrator.db.Database;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers audit events to a SIEM webhook from the outbox table that {@link AuditLog} fills: one
 * background virtual thread reads due rows oldest first, POSTs them as {@code {"events":[...]}}
 * with {@code Content-Type: application/json}, {@code X-Sandcastle-Timestamp: <unix seconds>} and
 * {@code X-Sandcastle-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">}, and deletes them
 * once the SIEM answers 2xx.
 *
 * <p>Any other answer, a connection failure or a timeout keeps the rows and pauses delivery with
 * exponential backoff (starting at {@link Config#initialBackoff()}, doubling, capped at
 * {@link Config#maxBackoff()}, with jitter); the rows' attempt count and next attempt time are
 * stored, so nothing is lost while the SIEM is down or across restarts. Delivery is at least once:
 * the receiver deduplicates on each event's {@code id}.
 *
 * <p>Thread-safe. {@link #wake()} is cheap and never blocks. {@link #close()} stops the thread
 * (interrupting a request in flight, whose rows are then sent again later; database work is
 * never interrupted) and is idempotent. Close it after the {@link AuditLog} that feeds it and before
 * the {@link Database}.
 */
public final class SiemForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SiemForwarder.class);
  private static final Duration IDLE_POLL = Duration.ofSeconds(30);

  /**
   * Where and how to deliver.
   *
   * @param url the webhook, {@code http} or {@code https}
   * @param secret the HMAC-SHA256 key shared with the receiver (never logged, hidden from {@link #toString()})
   * @param batchSize events per request, 1-1000
   * @param initialBackoff the pause after the first failure
   * @param maxBackoff the longest pause between attempts
   * @param timeout connect and request timeout
   */
  public record Config(URI url, String secret, int batchSize, Duration initialBackoff, Duration maxBackoff, Duration timeout) {
    public static final int DEFAULT_BATCH_SIZE = 100;

    public Config {
      if (url == null || url.getHost() == null
          || !("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))) {
        throw new IllegalArgumentException("the SIEM webhook URL must be an http(s) URL with a host");
      }
      if (secret == null || secret.isEmpty()) {
        throw new IllegalArgumentException("the SIEM webhook needs an HMAC secret");
      }
      if (batchSize < 1 || batchSize > 1000) {
        throw new IllegalArgumentException("the SIEM batch size must be 1-1000");
      }
      if (!positive(initialBackoff) || !positive(maxBackoff) || !positive(timeout)) {
        throw new IllegalArgumentException("the SIEM backoff and timeout durations must be positive");
      }
      if (initialBackoff.compareTo(maxBackoff) > 0) {
        throw new IllegalArgumentException("the SIEM initial backoff must not exceed the maximum backoff");
      }
    }

    /** Batches of 100, backoff from 1 s up to 5 min, 10 s timeout. */
    public static Config of(URI url, String secret) {
      return new Config(url, secret, DEFAULT_BATCH_SIZE, Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(10));
    }

    public Config withBatchSize(int size) {
      return new Config(url, secret, size, initialBackoff, maxBackoff, timeout);
    }

    public Config withBackoff(Duration initial, Duration max) {
      return new Config(url, secret, batchSize, initial, max, timeout);
    }

    public Config withTimeout(Duration value) {
      return new Config(url, secret, batchSize, initialBackoff, maxBackoff, value);
    }

    @Override
    public String toString() {
      return "Config[url=" + url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "")
          + "/..., secret=***, batchSize=" + batchSize + ", initialBackoff=" + initialBackoff + ", maxBackoff="
          + maxBackoff + ", timeout=" + timeout + "]";
    }

    private static boolean positive(Duration d) {
      return d != null && !d.isNegative() && !d.isZero();
    }
  }

  private final AuditStore store;
  private final Config config;
  private final HttpClient http;
  private final SecretKeySpec macKey;
  private final Object signal = new Object();
  private final Object phase = new Object();
  private boolean sending;
  private final AtomicBoolean wakeRequested = new AtomicBoolean();
  private final Thread worker;
  private volatile boolean closed;
  private int failures;
  private Instant pausedUntil = Instant.EPOCH;

  private SiemForwarder(Database database, Config config) {
    this.store = new AuditStore(database);
    this.config = config;
    this.macKey = new SecretKeySpec(config.secret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    this.worker = Thread.ofVirtual().name("siem-forwarder").unstarted(this::run);
  }

  /** Starts delivering what the outbox holds, including rows left from a previous run. */
  public static SiemForwarder start(Database database, Config config) {
    SiemForwarder forwarder = new SiemForwarder(database, config);
    forwarder.worker.start();
    return forwarder;
  }

  /** Tells the forwarder that new rows are in the outbox (they are sent unless delivery is paused by backoff). */
  public void wake() {
    if (wakeRequested.compareAndSet(false, true)) {
      synchronized (signal) {
        signal.notifyAll();
      }
    }
  }

  /** How many events wait in the outbox (for metrics). */
  public long backlog() {
    return store.backlog();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (phase) {
      // Only a request in flight is interrupted: an interrupt inside JDBC could break a pooled
      // connection or an embedded database's file channel.
      if (sending) {
        worker.interrupt();
      }
    }
    synchronized (signal) {
      signal.notifyAll();
    }
    boolean interrupted = false;
    while (worker.isAlive()) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    http.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    while (!closed) {
      try {
        Instant now = Instant.now();
        if (now.isBefore(pausedUntil)) {
          await(Duration.between(now, pausedUntil), false);
          continue;
        }
        List<AuditStore.Pending> rows = store.due(now, config.batchSize());
        if (rows.isEmpty()) {
          Optional<Instant> next = store.nextDue();
          Duration wait = next.map(at -> Duration.between(Instant.now(), at)).orElse(IDLE_POLL);
          await(wait.compareTo(IDLE_POLL) > 0 ? IDLE_POLL : wait, true);
          continue;
        }
        deliver(rows);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // The database is unreachable: try again after a pause.
        LOG.warn("SIEM forwarder cannot read its outbox ({}); retrying", e.getClass().getSimpleName());
        failed(List.of(), false);
      }
    }
  }

  private void deliver(List<AuditStore.Pending> rows) throws InterruptedException {
    StringBuilder body = new StringBuilder(64 + rows.size() * 512).append("{\"events\":[");
    for (int i = 0; i < rows.size(); i++) {
      body.append(i == 0 ? "" : ",").append(rows.get(i).payload());
    }
    String json = body.append("]}").toString();
    String timestamp = Long.toString(Instant.now().getEpochSecond());
    HttpRequest request = HttpRequest.newBuilder(config.url())
        .timeout(config.timeout())
        .header("Content-Type", "application/json")
        .header("X-Sandcastle-Timestamp", timestamp)
        .header("X-Sandcastle-Signature", "sha256=" + sign(timestamp + "." + json))
        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8))
        .build();
    int status;
    synchronized (phase) {
      if (closed) {
        throw new InterruptedException("closing");
      }
      sending = true;
    }
    try {
      status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      if (closed) {
        throw new InterruptedException("closing");
      }
      failed(rows, true, e.getClass().getSimpleName());
      return;
    } finally {
      synchronized (phase) {
        sending = false;
        Thread.interrupted(); // an interrupt meant for the request must not reach the database work below
      }
    }
    if (status / 100 == 2) {
      store.delivered(rows);
      if (failures > 0) {
        LOG.info("SIEM webhook at {} accepts events again", config.url().getHost());
      }
      failures = 0;
      return;
    }
    failed(rows, true, "HTTP " + status);
  }

  private void failed(List<AuditStore.Pending> rows, boolean log, String... reason) {
    failures++;
    long initial = config.initialBackoff().toMillis();
    long max = config.maxBackoff().toMillis();
    long exponential = failures >= 31 ? max : Math.min(max, initial << Math.min(failures - 1, 30));
    // Jitter: somewhere between 75% and 100% of the exponential delay.
    long delay = Math.max(1, exponential - ThreadLocalRandom.current().nextLong(exponential / 4 + 1));
    pausedUntil = Instant.now().plusMillis(delay);
    if (!rows.isEmpty()) {
      store.retryLater(rows, pausedUntil);
    }
    if (log && (failures == 1 || Integer.bitCount(failures) == 1)) {
      LOG.warn("SIEM webhook at {} did not take {} event(s) ({}); attempt {} failed, next in {} ms",
          config.url().getHost(), rows.size(), reason.length > 0 ? reason[0] : "error", failures, delay);
    }
  }

  private void await(Duration wait, boolean wakeable) throws InterruptedException {
    long millis = Math.max(1, wait.toMillis());
    long deadline = System.nanoTime() + millis * 1_000_000;
    synchronized (signal) {
      while (!closed) {
        if (wakeable && wakeRequested.getAndSet(false)) {
          return;
        }
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return;
        }
        signal.wait(left);
      }
    }
    throw new InterruptedException("closing");
  }

  private String sign(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(macKey);
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
    }
  }
}
