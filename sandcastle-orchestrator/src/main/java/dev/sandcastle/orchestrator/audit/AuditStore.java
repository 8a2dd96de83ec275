package dev.sandcastle.orchestrator.audit;

import dev.sandcastle.orchestrator.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * SQL and JSON of the audit tables (audit_events and siem_outbox), shared by {@link AuditLog} and
 * {@link SiemForwarder}. Thread-safe; every method is one transaction.
 */
final class AuditStore {
  static final int MAX_DETAIL_CHARS = 64 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};
  private static final String COLUMNS = "id, action, severity, user_id, request_id, resource_type, resource_id, detail,"
      + " ip_address, user_agent, status_code, created_at";

  /** An outbox row: the event's id and its JSON as the SIEM receives it. */
  record Pending(String eventId, String payload, int attempts) {}

  private final Jdbi jdbi;

  AuditStore(Database database) {
    this.jdbi = database.jdbi();
  }

  /** The event's JSON object as logged and sent to the SIEM: one line, snake_case, absent values null. */
  static String json(AuditEvent e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", e.id());
    out.put("timestamp", e.createdAt().toString());
    out.put("action", e.action());
    out.put("severity", e.severity());
    out.put("user_id", orNull(e.userId()));
    out.put("request_id", orNull(e.requestId()));
    out.put("resource_type", orNull(e.resourceType()));
    out.put("resource_id", orNull(e.resourceId()));
    out.put("detail", storedDetail(e));
    out.put("ip_address", orNull(e.ipAddress()));
    out.put("user_agent", orNull(e.userAgent()));
    out.put("status_code", e.statusCode() == 0 ? null : e.statusCode());
    return JSON.writeValueAsString(out);
  }

  /** Writes the events (and, if {@code outbox}, their outbox rows) in one transaction. */
  void write(List<AuditEvent> events, boolean outbox, Instant now) {
    if (events.isEmpty()) {
      return;
    }
    jdbi.useTransaction(h -> {
      PreparedBatch rows = h.prepareBatch("INSERT INTO audit_events (" + COLUMNS + ") VALUES (:id, :action, :severity,"
          + " :user, :request, :resourceType, :resourceId, :detail, :ip, :agent, :status, :at)");
      for (AuditEvent e : events) {
        rows.bind("id", e.id()).bind("action", e.action()).bind("severity", e.severity())
            .bind("user", orNull(e.userId())).bind("request", orNull(e.requestId()))
            .bind("resourceType", orNull(e.resourceType())).bind("resourceId", orNull(e.resourceId()))
            .bind("detail", JSON.writeValueAsString(storedDetail(e)))
            .bind("ip", orNull(e.ipAddress())).bind("agent", orNull(e.userAgent()))
            .bind("status", e.statusCode() == 0 ? null : e.statusCode()).bind("at", e.createdAt())
            .add();
      }
      rows.execute();
      if (outbox) {
        PreparedBatch pending = h.prepareBatch("INSERT INTO siem_outbox (event_id, payload, attempts, next_attempt_at, created_at)"
            + " VALUES (:id, :payload, 0, :now, :at)");
        for (AuditEvent e : events) {
          pending.bind("id", e.id()).bind("payload", json(e)).bind("now", now).bind("at", e.createdAt()).add();
        }
        pending.execute();
      }
    });
  }

  List<AuditEvent> query(AuditQuery q) {
    return jdbi.withHandle(h -> {
      Query query = h.createQuery("SELECT " + COLUMNS + " FROM audit_events" + where(q)
          + " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset");
      bind(query, q);
      return query.bind("limit", q.limit()).bind("offset", q.offset()).map(AuditStore::row).list();
    });
  }

  long count(AuditQuery q) {
    return jdbi.withHandle(h -> {
      Query query = h.createQuery("SELECT COUNT(*) FROM audit_events" + where(q));
      bind(query, q);
      return query.mapTo(Long.class).one();
    });
  }

  /**
   * Deletes up to {@code limit} events recorded before {@code before} that the SIEM has received
   * (no outbox row left: deleting the event would cascade to its row and lose it); returns how
   * many went.
   */
  int prune(Instant before, int limit) {
    // The ids first, then a batch of deletes by key: H2 plans DELETE ... IN (SELECT ... LIMIT) as a scan per row.
    return jdbi.inTransaction(h -> {
      List<String> ids = h.createQuery("SELECT a.id FROM audit_events a WHERE a.created_at < :before"
              + " AND NOT EXISTS (SELECT 1 FROM siem_outbox o WHERE o.event_id = a.id) LIMIT :limit")
          .bind("before", before).bind("limit", limit).mapTo(String.class).list();
      if (ids.isEmpty()) {
        return 0;
      }
      PreparedBatch batch = h.prepareBatch("DELETE FROM audit_events WHERE id = :id");
      ids.forEach(id -> batch.bind("id", id).add());
      return java.util.Arrays.stream(batch.execute()).sum();
    });
  }

  /** Up to {@code limit} outbox rows due at {@code now}, oldest event first. */
  List<Pending> due(Instant now, int limit) {
    return jdbi.withHandle(h -> h.createQuery("SELECT event_id, payload, attempts FROM siem_outbox"
            + " WHERE next_attempt_at <= :now ORDER BY created_at, event_id LIMIT :limit")
        .bind("now", now).bind("limit", limit)
        .map((rs, ctx) -> new Pending(rs.getString(1), rs.getString(2), rs.getInt(3))).list());
  }

  /** When the next outbox row falls due, if there is one. */
  Optional<Instant> nextDue() {
    return jdbi.withHandle(h -> h.createQuery("SELECT MIN(next_attempt_at) FROM siem_outbox")
        .mapTo(Instant.class).findOne());
  }

  void delivered(List<Pending> rows) {
    jdbi.useTransaction(h -> {
      PreparedBatch batch = h.prepareBatch("DELETE FROM siem_outbox WHERE event_id = :id");
      rows.forEach(r -> batch.bind("id", r.eventId()).add());
      batch.execute();
    });
  }

  void retryLater(List<Pending> rows, Instant next) {
    jdbi.useTransaction(h -> {
      PreparedBatch batch = h.prepareBatch(
          "UPDATE siem_outbox SET attempts = attempts + 1, next_attempt_at = :next WHERE event_id = :id");
      rows.forEach(r -> batch.bind("id", r.eventId()).bind("next", next).add());
      batch.execute();
    });
  }

  long backlog() {
    return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM siem_outbox").mapTo(Long.class).one());
  }

  private static String where(AuditQuery q) {
    List<String> conditions = new ArrayList<>();
    if (!q.action().isEmpty()) {
      conditions.add("action = :action");
    }
    if (!q.userId().isEmpty()) {
      conditions.add("user_id = :user");
    }
    if (!q.since().equals(Instant.EPOCH)) {
      conditions.add("created_at >= :since");
    }
    if (!q.until().equals(AuditQuery.NO_END)) {
      conditions.add("created_at < :until");
    }
    return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
  }

  private static void bind(Query query, AuditQuery q) {
    if (!q.action().isEmpty()) {
      query.bind("action", q.action());
    }
    if (!q.userId().isEmpty()) {
      query.bind("user", q.userId());
    }
    if (!q.since().equals(Instant.EPOCH)) {
      query.bind("since", q.since());
    }
    if (!q.until().equals(AuditQuery.NO_END)) {
      query.bind("until", q.until());
    }
  }

  private static AuditEvent row(ResultSet rs, StatementContext ctx) throws SQLException {
    String detail = rs.getString("detail");
    int status = rs.getInt("status_code");
    if (rs.wasNull()) {
      status = 0;
    }
    return new AuditEvent(rs.getString("id"), rs.getString("action"), rs.getString("severity"),
        rs.getString("user_id"), rs.getString("request_id"), rs.getString("resource_type"), rs.getString("resource_id"),
        detail == null || detail.isEmpty() ? Map.of() : JSON.readValue(detail, MAP),
        rs.getString("ip_address"), rs.getString("user_agent"), status,
        ctx.findColumnMapperFor(Instant.class).orElseThrow().map(rs, "created_at", ctx));
  }

  private static Map<String, Object> storedDetail(AuditEvent e) {
    if (e.detail().isEmpty()) {
      return Map.of();
    }
    String text = JSON.writeValueAsString(e.detail());
    if (text.length() <= MAX_DETAIL_CHARS) {
      return e.detail();
    }
    Map<String, Object> note = new LinkedHashMap<>();
    note.put("truncated", true);
    note.put("original_chars", text.length());
    return note;
  }

  private static String orNull(String value) {
    return value.isEmpty() ? null : value;
  }
}
