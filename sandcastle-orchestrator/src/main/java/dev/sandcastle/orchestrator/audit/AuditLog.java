package dev.sandcastle.orchestrator.audit;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.db.Database;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail. {@link #record} hands an event to one background virtual thread that writes
 * events in batches to the audit table (and, when a {@link SiemForwarder} is attached, to the SIEM
 * outbox in the same transaction), then logs each one as a single line of JSON on the logger
 * {@value #LOGGER} and wakes the forwarder.
 *
 * <p>Nothing is dropped: when the queue ({@value #DEFAULT_CAPACITY} events) is full, or after
 * {@link #close()}, {@code record} writes the event itself before returning. While the database is
 * unreachable the background thread keeps retrying its batch; a caller that has to write
 * synchronously then gets {@link Unavailable}. An event recorded twice (same id) is stored once.
 *
 * <p>All methods are thread-safe. {@link #query} and {@link #count} read what has been written so
 * far; call {@link #flush()} first to include everything recorded until then.
 */
public final class AuditLog implements AutoCloseable {
  /** The logger that receives one JSON line per event. */
  public static final String LOGGER = "sandcastle.audit";
  static final int DEFAULT_CAPACITY = 10_000;
  private static final int BATCH = 500;
  private static final int PRUNE_BATCH = 5_000;
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final Logger LINES = LoggerFactory.getLogger(LOGGER);

  /** A flush request in the queue: counted down once everything before it is written. */
  private record Marker(CountDownLatch done, boolean stop) {}

  private final AuditStore store;
  private final SiemForwarder siem;
  private final LinkedBlockingQueue<Object> queue;
  private final Thread writer;
  private volatile boolean closed;
  private volatile Thread pruner;

  AuditLog(Database database, SiemForwarder siem, int capacity) {
    this.store = new AuditStore(database);
    this.siem = siem;
    this.queue = new LinkedBlockingQueue<>(capacity);
    this.writer = Thread.ofVirtual().name("audit-writer").start(this::drain);
  }

  /** An audit log that keeps events in the database and the log only (no SIEM). */
  public static AuditLog open(Database database) {
    return new AuditLog(database, null, DEFAULT_CAPACITY);
  }

  /**
   * An audit log that also queues every event for {@code siem} (through the outbox table). Close
   * this log before the forwarder.
   */
  public static AuditLog open(Database database, SiemForwarder siem) {
    return new AuditLog(database, java.util.Objects.requireNonNull(siem, "siem"), DEFAULT_CAPACITY);
  }

  /**
   * Records an event. Usually returns at once (the event is written moments later); writes it
   * synchronously when the queue is full or the log is closed.
   *
   * @throws Unavailable when a synchronous write fails (the database is unreachable)
   */
  public void record(AuditEvent event) {
    java.util.Objects.requireNonNull(event, "event");
    if (closed || !queue.offer(event)) {
      writeNow(event);
    }
  }

  /** Blocks until every event recorded before this call is written. */
  public void flush() {
    Marker marker = new Marker(new CountDownLatch(1), false);
    if (closed) {
      return;
    }
    try {
      if (!enqueue(marker)) {
        return;
      }
      while (!marker.done().await(100, TimeUnit.MILLISECONDS)) {
        if (!writer.isAlive()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Events matching the query, newest first. */
  public List<AuditEvent> query(AuditQuery query) {
    return store.query(query);
  }

  /** How many events match the query (ignoring its limit and offset). */
  public long count(AuditQuery query) {
    return store.count(query);
  }

  /**
   * Deletes the events recorded before {@code before}, in batches, except those still on their
   * way to the SIEM (they go once delivered, at a later prune), and records an {@value
   * AuditEvent#AUDIT_PRUNED} event when any went.
   *
   * @return how many events were deleted
   */
  public long prune(Instant before) {
    long deleted = 0;
    for (int batch; (batch = store.prune(before, PRUNE_BATCH)) > 0; ) {
      deleted += batch;
    }
    if (deleted > 0) {
      LOG.info("deleted {} audit events recorded before {}", deleted, before);
      record(AuditEvent.builder(AuditEvent.AUDIT_PRUNED).detail("deleted", deleted).detail("before", before.toString()).build());
    }
    return deleted;
  }

  /**
   * Keeps events for {@code retention}: prunes what is older now and then every {@code every}
   * until closed, on a virtual thread of its own. A failed prune (the database away) is logged
   * and tried again at the next round. Call once; {@link Duration#ZERO} keeps everything.
   */
  public void retainFor(Duration retention, Duration every, InstantSource clock) {
    if (retention.isZero() || retention.isNegative()) {
      return;
    }
    pruner = Thread.ofVirtual().name("audit-retention").start(() -> {
      while (!closed) {
        try {
          prune(clock.instant().minus(retention));
        } catch (RuntimeException e) {
          if (!closed) {
            LOG.warn("could not delete old audit events: {}", e.toString());
          }
        }
        try {
          Thread.sleep(every);
        } catch (InterruptedException e) {
          return; // closing
        }
      }
    });
  }

  /** Writes everything still queued, then stops the background thread. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Thread retention = pruner;
    if (retention != null) {
      retention.interrupt();
    }
    boolean interrupted = false;
    Marker stop = new Marker(new CountDownLatch(1), true);
    boolean queued = false;
    while (true) {
      try {
        if (!queued) {
          enqueue(stop);
          queued = true;
        }
        writer.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    // Events offered between the close flag and the stop marker's turn.
    List<Object> rest = new ArrayList<>();
    queue.drainTo(rest);
    writeBatch(events(rest), true);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Puts a marker in the queue, waiting for room while the writer lives; false if it died. */
  private boolean enqueue(Marker marker) throws InterruptedException {
    while (!queue.offer(marker, 100, TimeUnit.MILLISECONDS)) {
      if (!writer.isAlive()) {
        return false;
      }
    }
    return true;
  }

  private void drain() {
    List<Object> items = new ArrayList<>(BATCH);
    while (true) {
      items.clear();
      try {
        items.add(queue.take());
      } catch (InterruptedException e) {
        // Nobody interrupts this thread; keep serving until the stop marker.
        continue;
      }
      queue.drainTo(items, BATCH - 1);
      writeBatch(events(items), false);
      boolean stop = false;
      for (Object item : items) {
        if (item instanceof Marker marker) {
          marker.done().countDown();
          stop |= marker.stop();
        }
      }
      if (stop) {
        return;
      }
    }
  }

  private static List<AuditEvent> events(List<Object> items) {
    List<AuditEvent> events = new ArrayList<>(items.size());
    for (Object item : items) {
      if (item instanceof AuditEvent event) {
        events.add(event);
      }
    }
    return events;
  }

  /**
   * Writes a batch, retrying while the database fails (with backoff up to five seconds). When
   * closing, gives up after a few attempts and logs the events' lines anyway so they are not lost
   * from the log.
   */
  private void writeBatch(List<AuditEvent> events, boolean closing) {
    if (events.isEmpty()) {
      return;
    }
    long delayMillis = 100;
    for (int attempt = 1; ; attempt++) {
      try {
        store(events);
        return;
      } catch (RuntimeException e) {
        if (!(e instanceof JdbiException)) {
          // Not the database: retrying cannot help. Keep the events in the log at least.
          LOG.error("could not store {} audit event(s) ({}); they appear only in the log", events.size(), reason(e));
          events.forEach(event -> LINES.info(AuditStore.json(event)));
          return;
        }
        if (closed && (closing || attempt >= 5)) {
          LOG.error("could not store {} audit event(s) in the database ({}); they appear only in the log", events.size(),
              reason(e));
          events.forEach(event -> LINES.info(AuditStore.json(event)));
          return;
        }
        if (attempt == 1) {
          LOG.warn("cannot store audit events in the database ({}); retrying", reason(e));
        }
        try {
          Thread.sleep(delayMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
        delayMillis = Math.min(delayMillis * 2, 5_000);
      }
    }
  }

  private void writeNow(AuditEvent event) {
    try {
      store(List.of(event));
    } catch (RuntimeException e) {
      throw new Unavailable("the audit log cannot be written: " + reason(e));
    }
  }

  /** Stores the events; when the batch clashes with an event stored before, stores them one by one. */
  private void store(List<AuditEvent> events) {
    try {
      store.write(events, siem != null, Instant.now());
      written(events);
    } catch (RuntimeException e) {
      if (!isUniqueViolation(e)) {
        throw e;
      }
      for (AuditEvent event : events) {
        try {
          store.write(List.of(event), siem != null, Instant.now());
          written(List.of(event));
        } catch (RuntimeException single) {
          if (!isUniqueViolation(single)) {
            throw single;
          }
          LOG.debug("audit event {} was already stored", event.id());
        }
      }
    }
  }

  private void written(List<AuditEvent> events) {
    if (LINES.isInfoEnabled()) {
      for (AuditEvent event : events) {
        LINES.info(AuditStore.json(event));
      }
    }
    if (siem != null) {
      siem.wake();
    }
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage().strip();
    int newline = message.indexOf('\n');
    return newline > 0 ? message.substring(0, newline) : message;
  }
}
