package dev.sandcastle.orchestrator.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the schema guarantees on either database. */
abstract class MigrationContract extends DatabaseContract {

  private long count(String table) {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Long.class).one());
  }

  @Test
  void reopeningAppliesNoMigrationTwiceAndKeepsTheData() {
    long applied = count("\"flyway_schema_history\"");
    db.jdbi().useHandle(h -> h.execute("INSERT INTO policies (id, cpus, memory_bytes, storage_bytes, pids,"
        + " idle_timeout_seconds, network) VALUES ('kept', 1.0, 1, 1, 1, 60, 'none')"));

    reopen();
    reopen();

    assertThat(count("\"flyway_schema_history\"")).isEqualTo(applied).isPositive();
    assertThat(count("policies")).isEqualTo(1);
    for (String table : new String[] {"tenants", "audit_events", "siem_outbox"}) {
      assertThat(count(table)).as(table).isZero();
    }
  }

  @Test
  void instantsReadBackExactlyAtMicrosecondPrecision() {
    Instant written = Instant.parse("2031-04-05T06:07:08.123456789Z");
    db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO audit_events (id, action, severity, created_at)"
        + " VALUES ('e1', 'proxy_request', 'info', :at)").bind("at", written).execute());

    Instant read = db.jdbi().withHandle(h -> h.createQuery("SELECT created_at FROM audit_events")
        .mapTo(Instant.class).one());

    assertThat(read).isEqualTo(Instant.parse("2031-04-05T06:07:08.123456Z"));
  }
}
