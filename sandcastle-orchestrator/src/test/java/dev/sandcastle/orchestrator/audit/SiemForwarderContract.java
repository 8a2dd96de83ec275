package dev.sandcastle.orchestrator.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

abstract class SiemForwarderContract extends DatabaseContract {
  static final String SECRET = "siem-shared-secret";
  SiemReceiver receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = new SiemReceiver(SECRET).start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.close();
  }

  SiemForwarder.Config config(int batchSize) {
    return SiemForwarder.Config.of(receiver.url(), SECRET).withBatchSize(batchSize)
        .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).withTimeout(Duration.ofSeconds(2));
  }

  List<String> record(AuditLog log, int count, String prefix) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      AuditEvent event = AuditEvent.builder(AuditEvent.PROXY_REQUEST).user(prefix + "-" + (i % 4))
          .request(prefix + "-" + i).detail("i", i).status(200).build();
      ids.add(event.id());
      log.record(event);
    }
    return ids;
  }

  @Test
  void deliversSignedBatchesAndEmptiesTheOutbox() {
    AuditEvent sample = AuditEvent.builder(AuditEvent.AUTH_FAILED).user("mallory").request("r-9")
        .resource("tenant", "t-1").detail(Map.of("reason", "expired")).client("192.0.2.1", "curl/8").status(401)
        .at(Instant.parse("2030-01-02T03:04:05.678901Z")).build();
    try (SiemForwarder siem = SiemForwarder.start(db, config(10)); AuditLog log = AuditLog.open(db, siem)) {
      List<String> ids = new ArrayList<>(record(log, 34, "a"));
      log.record(sample);
      ids.add(sample.id());

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(receiver.ids()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(siem.backlog()).isZero();
      });
    }
    assertThat(receiver.problems).isEmpty();
    assertThat(receiver.maxBatch.get()).isBetween(1, 10);
    JsonNode json = receiver.events.stream().filter(e -> e.get("id").asString().equals(sample.id())).findFirst().orElseThrow();
    assertThat(json.get("timestamp").asString()).isEqualTo("2030-01-02T03:04:05.678901Z");
    assertThat(json.get("action").asString()).isEqualTo("auth_failed");
    assertThat(json.get("severity").asString()).isEqualTo("critical");
    assertThat(json.get("user_id").asString()).isEqualTo("mallory");
    assertThat(json.get("request_id").asString()).isEqualTo("r-9");
    assertThat(json.get("resource_type").asString()).isEqualTo("tenant");
    assertThat(json.get("resource_id").asString()).isEqualTo("t-1");
    assertThat(json.get("detail").get("reason").asString()).isEqualTo("expired");
    assertThat(json.get("ip_address").asString()).isEqualTo("192.0.2.1");
    assertThat(json.get("user_agent").asString()).isEqualTo("curl/8");
    assertThat(json.get("status_code").asInt()).isEqualTo(401);
  }

  @Test
  void nothingIsLostWhileTheSiemIsDownOrAcrossARestart() throws Exception {
    List<String> ids = new ArrayList<>();
    receiver.mode(SiemReceiver.Mode.UNAVAILABLE);
    SiemForwarder siem = SiemForwarder.start(db, config(25));
    AuditLog log = AuditLog.open(db, siem);
    ids.addAll(record(log, 150, "before"));
    log.flush();
    // The forwarder keeps trying (and backing off) while the SIEM answers 503.
    await().atMost(Duration.ofSeconds(20)).until(() -> receiver.requests.get() >= 3);
    assertThat(siem.backlog()).isEqualTo(150);

    // Restart: close everything, the SIEM stops listening, the server comes back on the same database.
    log.close();
    siem.close();
    receiver.stop();
    reopen();
    siem = SiemForwarder.start(db, config(25));
    log = AuditLog.open(db, siem);
    ids.addAll(record(log, 100, "after"));
    log.flush();
    assertThat(siem.backlog()).isEqualTo(250);

    // The SIEM comes back, and the first batch it stores loses its acknowledgement (so it is sent twice).
    receiver.mode(SiemReceiver.Mode.LOSE_ACK_ONCE);
    receiver.start();
    SiemForwarder running = siem;
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(new HashSet<>(receiver.ids())).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(running.backlog()).isZero();
    });
    log.close();
    siem.close();

    assertThat(receiver.problems).isEmpty();
    assertThat(receiver.ids()).hasSizeGreaterThan(ids.size()).as("the lost acknowledgement caused a resend");
    assertThat(new HashSet<>(receiver.ids())).hasSize(250);
    long attempts = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM siem_outbox").mapTo(Long.class).one());
    assertThat(attempts).isZero();
  }
}
