package dev.sandcastle.orchestrator.tenant;

import dev.sandcastle.orchestrator.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BinaryOperator;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * The tenants table. Every method is one short transaction on a pooled connection; safe from
 * any number of threads. Database failures surface as JDBI's unchecked exceptions.
 *
 * <p>Timestamps are stored at microsecond precision, so a tenant read back may differ from the
 * record written in the sub-microsecond digits.
 */
public final class TenantRepository {
  private static final String COLUMNS = "id, number, user_id, policy_id, context_id, backend, instance_id, instance_name, "
      + "host, port, api_key_ciphertext, status, created_at, updated_at, last_accessed_at";
  private static final String UNIQUE_VIOLATION = "23505";

  private final Jdbi jdbi;

  public TenantRepository(Database database) {
    this.jdbi = database.jdbi();
  }

  /**
   * The associated data under which a tenant's workspace API key is encrypted (binds the
   * ciphertext to its row, so a ciphertext copied onto another tenant does not decrypt).
   */
  public static String apiKeyAssociatedData(String tenantId) {
    return "sandcastle/tenant/" + tenantId + "/api-key";
  }

  /**
   * Creates the tenant for {@code key} in status {@code provisioning} with a new random id and the
   * next number, or returns the existing one when that key already has a tenant (so concurrent
   * first requests of one user end up with the same tenant).
   */
  public Tenant insert(TenantKey key, String backend, Instant now) {
    if (backend == null || backend.isEmpty()) {
      throw new IllegalArgumentException("a tenant needs a backend");
    }
    for (int attempt = 0; ; attempt++) {
      Optional<Tenant> existing = find(key);
      if (existing.isPresent()) {
        return existing.get();
      }
      String id = UUID.randomUUID().toString();
      try {
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO tenants (id, user_id, policy_id, context_id, backend, status, created_at, updated_at, last_accessed_at)
                VALUES (:id, :user, :policy, :context, :backend, :status, :now, :now, :now)""")
            .bind("id", id).bind("user", key.userId()).bind("policy", key.policyId()).bind("context", key.contextId())
            .bind("backend", backend).bind("status", TenantStatus.PROVISIONING.wire()).bind("now", now)
            .execute());
        return findById(id).orElseThrow(() -> new IllegalStateException("a tenant vanished right after its insert"));
      } catch (UnableToExecuteStatementException e) {
        if (!isUniqueViolation(e) || attempt >= 3) {
          throw e;
        }
        // Lost the race to another first request: the loop returns the winner's row.
      }
    }
  }

  /** The tenant of this (user, policy, context), if any. */
  public Optional<Tenant> find(TenantKey key) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS
            + " FROM tenants WHERE user_id = :user AND policy_id = :policy AND context_id = :context")
        .bind("user", key.userId()).bind("policy", key.policyId()).bind("context", key.contextId())
        .map(TenantRepository::row).findOne());
  }

  public Optional<Tenant> findById(String id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM tenants WHERE id = :id")
        .bind("id", id).map(TenantRepository::row).findOne());
  }

  /** Every tenant, oldest (lowest number) first. */
  public List<Tenant> list() {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM tenants ORDER BY number")
        .map(TenantRepository::row).list());
  }

  /**
   * Writes the tenant's mutable fields (backend, instance id and name, host, port, API key
   * ciphertext, status, updated and last-accessed times); id, number, key and creation time are
   * fixed. Returns false when no such tenant exists (any more).
   */
  public boolean update(Tenant tenant) {
    return jdbi.withHandle(h -> h.createUpdate("""
            UPDATE tenants SET backend = :backend, instance_id = :instanceId, instance_name = :instanceName,
              host = :host, port = :port, api_key_ciphertext = :ciphertext, status = :status,
              updated_at = :updatedAt, last_accessed_at = :lastAccessedAt
            WHERE id = :id""")
        .bind("id", tenant.id()).bind("backend", tenant.backend()).bind("instanceId", tenant.instanceId())
        .bind("instanceName", tenant.instanceName()).bind("host", tenant.host()).bind("port", tenant.port())
        .bind("ciphertext", tenant.apiKeyCiphertext()).bind("status", tenant.status().wire())
        .bind("updatedAt", tenant.updatedAt()).bind("lastAccessedAt", tenant.lastAccessedAt())
        .execute()) == 1;
  }

  /**
   * Records the last access of many tenants in one batch (tenant id to time). A time earlier than
   * the stored one is ignored, so late batches never move the clock back; unknown ids are skipped.
   */
  public void touch(Map<String, Instant> lastAccessed) {
    if (lastAccessed.isEmpty()) {
      return;
    }
    jdbi.useTransaction(h -> {
      PreparedBatch batch = h.prepareBatch(
          "UPDATE tenants SET last_accessed_at = :at WHERE id = :id AND last_accessed_at < :at");
      lastAccessed.forEach((id, at) -> batch.bind("id", id).bind("at", at).add());
      batch.execute();
    });
  }

  /** Deletes the tenant's row; false when there was none. Its number is never handed out again. */
  public boolean delete(String id) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM tenants WHERE id = :id").bind("id", id).execute()) == 1;
  }

  /**
   * Rewrites every non-empty API key ciphertext in one transaction: {@code rewrite} gets (tenant
   * id, ciphertext) and returns the new ciphertext (or the same one to leave the row alone).
   * Returns how many rows changed. A ciphertext changed concurrently by someone else is left as
   * they wrote it. If {@code rewrite} throws, nothing is changed.
   */
  public int rewriteApiKeyCiphertexts(BinaryOperator<String> rewrite) {
    return jdbi.inTransaction(h -> {
      Map<String, String> current = apiKeyCiphertexts(h);
      int changed = 0;
      for (Map.Entry<String, String> row : current.entrySet()) {
        String replacement = rewrite.apply(row.getKey(), row.getValue());
        if (replacement == null || replacement.isEmpty()) {
          throw new IllegalArgumentException("a rewritten API key ciphertext must not be empty");
        }
        if (!replacement.equals(row.getValue())) {
          changed += h.createUpdate(
                  "UPDATE tenants SET api_key_ciphertext = :new WHERE id = :id AND api_key_ciphertext = :old")
              .bind("id", row.getKey()).bind("old", row.getValue()).bind("new", replacement).execute();
        }
      }
      return changed;
    });
  }

  private static Map<String, String> apiKeyCiphertexts(Handle h) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    h.createQuery("SELECT id, api_key_ciphertext FROM tenants WHERE api_key_ciphertext <> '' ORDER BY number")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static Tenant row(ResultSet rs, StatementContext ctx) throws SQLException {
    var instants = ctx.findColumnMapperFor(Instant.class).orElseThrow();
    return new Tenant(
        rs.getString("id"), rs.getLong("number"),
        new TenantKey(rs.getString("user_id"), rs.getString("policy_id"), rs.getString("context_id")),
        rs.getString("backend"), rs.getString("instance_id"), rs.getString("instance_name"),
        rs.getString("host"), rs.getInt("port"), rs.getString("api_key_ciphertext"),
        TenantStatus.fromWire(rs.getString("status")),
        instants.map(rs, "created_at", ctx), instants.map(rs, "updated_at", ctx), instants.map(rs, "last_accessed_at", ctx));
  }
}
