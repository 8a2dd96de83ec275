package dev.sandcastle.orchestrator.policy;

import dev.sandcastle.orchestrator.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The policies table. Safe from any number of threads; each method is one short transaction.
 * Database failures surface as JDBI's unchecked exceptions. The environment is stored as a JSON
 * object and the read-only paths as a JSON array; the idle timeout in whole seconds (a fraction of a second is rounded up).
 */
public final class PolicyRepository {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<Map<String, String>> ENV = new TypeReference<>() {};
  private static final TypeReference<List<String>> PATHS = new TypeReference<>() {};
  private static final String COLUMNS =
      "id, image, runtime, env, cpus, memory_bytes, storage_bytes, pids, idle_timeout_seconds, network, reset_cron, reset_zone,"
          + " read_only_paths";

  private final Jdbi jdbi;

  public PolicyRepository(Database database) {
    this.jdbi = database.jdbi();
  }

  /** Inserts the policy, or replaces the stored one with the same id. */
  public void save(Policy policy) {
    for (int attempt = 0; ; attempt++) {
      try {
        jdbi.useTransaction(h -> {
          if (write(h, policy, "UPDATE policies SET image = :image, runtime = :runtime, env = :env, cpus = :cpus, memory_bytes = :memory,"
              + " storage_bytes = :storage, pids = :pids, idle_timeout_seconds = :idle, network = :network,"
              + " reset_cron = :cron, reset_zone = :zone, read_only_paths = :paths WHERE id = :id") == 0) {
            write(h, policy, "INSERT INTO policies (" + COLUMNS + ") VALUES"
                + " (:id, :image, :runtime, :env, :cpus, :memory, :storage, :pids, :idle, :network, :cron, :zone, :paths)");
          }
        });
        return;
      } catch (UnableToExecuteStatementException e) {
        // Two first saves of one id raced; the second one's update now finds the row.
        if (attempt >= 2 || !isUniqueViolation(e)) {
          throw e;
        }
      }
    }
  }

  public Optional<Policy> find(String id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM policies WHERE id = :id")
        .bind("id", id).map(PolicyRepository::row).findOne());
  }

  /** Every policy, by id. */
  public List<Policy> list() {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM policies ORDER BY id")
        .map(PolicyRepository::row).list());
  }

  /** Deletes the policy; false when there was none. */
  public boolean delete(String id) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM policies WHERE id = :id").bind("id", id).execute()) == 1;
  }

  private static int write(Handle h, Policy p, String sql) {
    long idleSeconds = p.idleTimeout().getSeconds() + (p.idleTimeout().getNano() > 0 ? 1 : 0);
    return h.createUpdate(sql)
        .bind("id", p.id()).bind("image", p.image()).bind("runtime", p.runtime()).bind("env", JSON.writeValueAsString(p.env()))
        .bind("cpus", p.cpus()).bind("memory", p.memoryBytes()).bind("storage", p.storageBytes())
        .bind("pids", p.pids()).bind("idle", idleSeconds).bind("network", p.network())
        .bind("cron", p.resetCron()).bind("zone", p.resetZone()).bind("paths", JSON.writeValueAsString(p.readOnlyPaths()))
        .execute();
  }

  private static Policy row(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Policy(rs.getString("id"), rs.getString("image"), rs.getString("runtime"), JSON.readValue(rs.getString("env"), ENV),
        rs.getDouble("cpus"), rs.getLong("memory_bytes"), rs.getLong("storage_bytes"), rs.getInt("pids"),
        Duration.ofSeconds(rs.getLong("idle_timeout_seconds")), rs.getString("network"),
        rs.getString("reset_cron"), rs.getString("reset_zone"), JSON.readValue(rs.getString("read_only_paths"), PATHS));
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }
}
