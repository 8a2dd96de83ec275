package dev.sandcastle.orchestrator.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

abstract class AuditLogContract extends DatabaseContract {
  static final Instant T0 = Instant.parse("2030-06-01T12:00:00Z");
  static final String[] ACTIONS = {AuditEvent.PROXY_REQUEST, AuditEvent.AUTH_FAILED, AuditEvent.TENANT_CREATED, AuditEvent.WS_CONNECT};

  /** Event i: action cycles through four, user through three, one millisecond apart. */
  static AuditEvent event(int i) {
    return AuditEvent.builder(ACTIONS[i % ACTIONS.length])
        .user("user-" + (i % 3)).request("req-" + i).resource("tenant", "t-" + (i % 7))
        .detail("index", i).client("10.0.0." + (i % 250), "curl/8")
        .status(i % 5 == 0 ? 0 : 200).at(T0.plusMillis(i)).build();
  }

  long outboxRows() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM siem_outbox").mapTo(Long.class).one());
  }

  @Test
  void pruningDeletesOldEventsButNotThoseTheSiemHasNotReceived() {
    try (AuditLog log = AuditLog.open(db)) {
      for (int i = 0; i < 12_000; i++) {
        log.record(event(i)); // T0 .. T0 + 11.999 s
      }
      log.flush();
    }
    // Two old events still wait in the outbox (as a SIEM outage leaves them).
    db.jdbi().useHandle(h -> h.execute("INSERT INTO siem_outbox (event_id, payload, attempts, next_attempt_at, created_at)"
        + " SELECT id, '{}', 3, created_at, created_at FROM audit_events WHERE request_id IN ('req-10', 'req-11')"));
    try (AuditLog log = AuditLog.open(db)) {
      long deleted = log.prune(T0.plusSeconds(6)); // more than one batch
      log.flush();

      assertThat(deleted).isEqualTo(6000 - 2);
      assertThat(log.count(AuditQuery.all().action(AuditEvent.PROXY_REQUEST).between(Instant.EPOCH, T0.plusSeconds(6))))
          .as("old events gone").isZero();
      assertThat(log.query(AuditQuery.all().between(T0, T0.plusSeconds(6)).page(10, 0)))
          .extracting(AuditEvent::requestId).as("the SIEM's pending ones kept").containsExactlyInAnyOrder("req-11", "req-10");
      assertThat(log.count(AuditQuery.all().between(T0.plusSeconds(6), AuditQuery.NO_END).action(AuditEvent.TENANT_CREATED)))
          .as("newer ones kept").isEqualTo(1500);
      List<AuditEvent> pruned = log.query(AuditQuery.all().action(AuditEvent.AUDIT_PRUNED));
      assertThat(pruned).singleElement().satisfies(e -> assertThat(((Number) e.detail().get("deleted")).longValue()).isEqualTo(5998));
      // Pruning again (the note above, stamped now, is before this test's future cut-off) still keeps the SIEM's two.
      log.prune(T0.plusSeconds(6));
      assertThat(log.count(AuditQuery.all().between(T0, T0.plusSeconds(6)))).isEqualTo(2);
      assertThat(outboxRows()).isEqualTo(2);
    }
  }

  @Test
  void aThousandEventsCanBeFilteredAndPagedNewestFirst() {
    List<AuditEvent> recorded = new ArrayList<>();
    try (AuditLog log = AuditLog.open(db)) {
      for (int i = 0; i < 1000; i++) {
        AuditEvent e = event(i);
        recorded.add(e);
        log.record(e);
      }
      log.flush();

      assertThat(log.count(AuditQuery.all())).isEqualTo(1000);
      List<AuditEvent> newestFirst = recorded.stream().sorted(Comparator.comparing(AuditEvent::createdAt).reversed()).toList();
      assertThat(log.query(AuditQuery.all().page(5000, 0))).containsExactlyElementsOf(newestFirst);
      assertThat(log.query(AuditQuery.all())).containsExactlyElementsOf(newestFirst.subList(0, 100));
      assertThat(log.query(AuditQuery.all().page(100, 200))).containsExactlyElementsOf(newestFirst.subList(200, 300));
      assertThat(log.query(AuditQuery.all().page(10, 995))).containsExactlyElementsOf(newestFirst.subList(995, 1000));

      AuditQuery failures = AuditQuery.all().action(AuditEvent.AUTH_FAILED);
      assertThat(log.count(failures)).isEqualTo(250);
      assertThat(log.query(failures.page(1000, 0)))
          .hasSize(250).allSatisfy(e -> assertThat(e.severity()).isEqualTo(AuditEvent.CRITICAL));

      AuditQuery user1 = AuditQuery.all().user("user-1");
      assertThat(log.count(user1)).isEqualTo(333);
      assertThat(log.count(user1.action(AuditEvent.AUTH_FAILED))).isEqualTo(recorded.stream()
          .filter(e -> e.userId().equals("user-1") && e.action().equals(AuditEvent.AUTH_FAILED)).count());

      AuditQuery window = AuditQuery.all().between(T0.plusMillis(100), T0.plusMillis(200));
      assertThat(log.count(window)).isEqualTo(100);
      assertThat(log.query(window).getFirst()).isEqualTo(recorded.get(199));
      assertThat(log.query(window).getLast()).isEqualTo(recorded.get(100));
      assertThat(log.count(AuditQuery.all().user("nobody"))).isZero();
    }
    assertThat(outboxRows()).as("no SIEM, no outbox").isZero();
  }

  @Test
  void everyFieldReadsBack() {
    AuditEvent event = AuditEvent.builder(AuditEvent.AUTH_FAILED)
        .user("alice").request("r-1").resource("tenant", "t-1")
        .detail(Map.of("reason", "bad token", "nested", Map.of("list", List.of(1, "two", true)), "big", 5_000_000_000L))
        .client("2001:db8::1", "Mozilla/5.0 " + "x".repeat(1000)).status(401).build();
    AuditEvent minimal = AuditEvent.builder(AuditEvent.IDLE_CLEANUP).build();

    try (AuditLog log = AuditLog.open(db)) {
      log.record(event);
      log.record(minimal);
    }

    try (AuditLog log = AuditLog.open(db)) {
      assertThat(log.query(AuditQuery.all().action(AuditEvent.AUTH_FAILED))).containsExactly(event);
      assertThat(log.query(AuditQuery.all().action(AuditEvent.IDLE_CLEANUP))).containsExactly(minimal);
    }
    assertThat(event.severity()).isEqualTo("critical");
    assertThat(event.userAgent()).hasSize(512);
    assertThat(minimal.severity()).isEqualTo("info");
    assertThat(minimal.statusCode()).isZero();
    assertThat(minimal.userId()).isEmpty();
  }

  @Test
  void eachEventIsLoggedAsOneLineOfJson() {
    Logger audit = (Logger) LoggerFactory.getLogger(AuditLog.LOGGER);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    audit.addAppender(lines);
    Level level = audit.getLevel();
    audit.setLevel(Level.INFO);
    audit.setAdditive(false);
    AuditEvent event = AuditEvent.builder(AuditEvent.PROXY_REQUEST).user("alice")
        .detail("path", "/files/a\nb.txt").status(200).build();
    try (AuditLog log = AuditLog.open(db)) {
      log.record(event);
    } finally {
      audit.detachAppender(lines);
      audit.setLevel(level);
      audit.setAdditive(true);
    }

    assertThat(lines.list).hasSize(1);
    String line = lines.list.getFirst().getFormattedMessage();
    assertThat(line).doesNotContain("\n");
    JsonNode json = JsonMapper.builder().build().readTree(line);
    assertThat(json.get("id").asString()).isEqualTo(event.id());
    assertThat(json.get("action").asString()).isEqualTo("proxy_request");
    assertThat(json.get("user_id").asString()).isEqualTo("alice");
    assertThat(json.get("status_code").asInt()).isEqualTo(200);
    assertThat(json.get("detail").get("path").asString()).isEqualTo("/files/a\nb.txt");
    assertThat(Instant.parse(json.get("timestamp").asString())).isEqualTo(event.createdAt());
  }

  @Test
  void closeWritesEverythingStillQueued() {
    AuditLog log = AuditLog.open(db);
    for (int i = 0; i < 500; i++) {
      log.record(event(i));
    }
    log.close();

    try (AuditLog reader = AuditLog.open(db)) {
      assertThat(reader.count(AuditQuery.all())).isEqualTo(500);
    }
  }

  @Test
  void aFullQueueMakesCallersWriteThemselvesAndNothingIsDropped() throws Exception {
    try (AuditLog log = new AuditLog(db, null, 1)) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int t = 0; t < 4; t++) {
          int thread = t;
          callers.submit(() -> {
            for (int i = 0; i < 50; i++) {
              log.record(event(thread * 50 + i));
            }
          });
        }
      }
      log.flush();
      assertThat(log.count(AuditQuery.all())).isEqualTo(200);
    }
  }

  @Test
  void recordingTheSameEventTwiceStoresItOnceAndRecordingAfterCloseStillWrites() {
    AuditEvent event = event(1);
    AuditLog log = AuditLog.open(db);
    log.record(event);
    log.record(event);
    log.record(event(2));
    log.close();
    log.record(event(3));

    assertThat(log.count(AuditQuery.all())).isEqualTo(3);
  }

  enum Colour { RED }

  @Test
  void detailValuesAreKeptAsJsonValuesAndOtherObjectsAsText() {
    AuditEvent odd = AuditEvent.builder(AuditEvent.ADMIN_ACTION).detail("thing", new Object() {
      @Override
      public String toString() {
        return "an odd thing";
      }
    }).detail("colour", Colour.RED).detail("at", T0).detail("small", (short) 7).detail("ratio", 0.25f)
        .detail("list", java.util.Arrays.asList(1, null, "x", new String[] {"a"})).detail("none", null).build();
    try (AuditLog log = AuditLog.open(db)) {
      log.record(odd);
      log.flush();

      AuditEvent stored = log.query(AuditQuery.all()).getFirst();
      assertThat(stored).isEqualTo(odd);
      assertThat(stored.detail())
          .containsEntry("thing", "an odd thing").containsEntry("colour", "RED").containsEntry("at", T0.toString())
          .containsEntry("small", 7).containsEntry("ratio", 0.25).containsEntry("none", null)
          .containsEntry("list", java.util.Arrays.asList(1, null, "x", List.of("a")));
    }
  }

  @Test
  void invalidEventsAndQueriesAreRejected() {
    assertThatThrownBy(() -> AuditEvent.builder("rm_rf").build()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AuditEvent.builder(AuditEvent.WS_CONNECT).severity("fatal").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AuditEvent.builder(AuditEvent.WS_CONNECT).status(42).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AuditQuery.all().action("nope")).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> AuditQuery.all().page(0, 0)).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> AuditQuery.all().page(10, -1)).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> AuditQuery.all().between(T0, T0.minusSeconds(1))).isInstanceOf(BadRequest.class);
    assertThat(AuditQuery.all().page(5000, 0).limit()).isEqualTo(AuditQuery.MAX_LIMIT);
  }
}
