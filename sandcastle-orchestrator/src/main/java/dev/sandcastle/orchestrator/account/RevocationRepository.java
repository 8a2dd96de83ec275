package dev.sandcastle.orchestrator.account;

import dev.sandcastle.orchestrator.db.Database;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * What makes session tokens invalid before they expire: the {@code revoked_sessions} table (one
 * row per token signed out, by its {@code jti}, kept until the token expires) and the accounts'
 * {@code sessions_valid_after} ("sign out everywhere"). Safe from any number of threads; each
 * method is one short statement. Database failures surface as JDBI's unchecked exceptions.
 */
final class RevocationRepository {
  private final Jdbi jdbi;

  RevocationRepository(Database database) {
    this.jdbi = database.jdbi();
  }

  /** Records a signed-out token; recording the same {@code jti} again changes nothing. */
  void revoke(String jti, String accountId, Instant expiresAt, Instant revokedAt) {
    try {
      jdbi.useHandle(h -> h.createUpdate("INSERT INTO revoked_sessions (jti, account_id, expires_at, revoked_at)"
              + " VALUES (:jti, :account, :expires, :revoked)")
          .bind("jti", jti).bind("account", accountId).bind("expires", expiresAt).bind("revoked", revokedAt).execute());
    } catch (UnableToExecuteStatementException e) {
      if (!isUniqueViolation(e)) {
        throw e;
      }
    }
  }

  /** The signed-out tokens that expire at or after {@code after}: jti to expiry. */
  Map<String, Instant> revokedExpiringAfter(Instant after) {
    Map<String, Instant> revoked = new HashMap<>();
    jdbi.useHandle(h -> h.createQuery("SELECT jti, expires_at FROM revoked_sessions WHERE expires_at >= :after")
        .bind("after", after)
        .map((rs, ctx) -> Map.entry(rs.getString("jti"), ctx.findColumnMapperFor(Instant.class).orElseThrow().map(rs, "expires_at", ctx)))
        .forEach(e -> revoked.put(e.getKey(), e.getValue())));
    return revoked;
  }

  /** How many of the account's signed-out tokens are recorded. */
  int countFor(String accountId) {
    return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM revoked_sessions WHERE account_id = :account")
        .bind("account", accountId).mapTo(Integer.class).one());
  }

  /** Deletes the account's signed-out tokens; returns their ids. */
  List<String> forget(String accountId) {
    return jdbi.inTransaction(h -> {
      List<String> ids = h.createQuery("SELECT jti FROM revoked_sessions WHERE account_id = :account")
          .bind("account", accountId).mapTo(String.class).list();
      h.createUpdate("DELETE FROM revoked_sessions WHERE account_id = :account").bind("account", accountId).execute();
      return ids;
    });
  }

  /** Deletes the rows of tokens that expired before {@code before}; how many went. */
  int prune(Instant before) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM revoked_sessions WHERE expires_at < :before")
        .bind("before", before).execute());
  }

  /**
   * The account's {@code sessions_valid_after}: empty when it never signed out everywhere (or
   * there is no such account).
   */
  Optional<Instant> validAfter(String accountId) {
    return jdbi.withHandle(h -> h.createQuery("SELECT sessions_valid_after FROM accounts WHERE id = :id")
        .bind("id", accountId).mapTo(Instant.class).findOne());
  }

  /** Every account's {@code sessions_valid_after} that is set. */
  Map<String, Instant> allValidAfter() {
    Map<String, Instant> all = new HashMap<>();
    jdbi.useHandle(h -> h.createQuery("SELECT id, sessions_valid_after FROM accounts WHERE sessions_valid_after IS NOT NULL")
        .map((rs, ctx) -> Map.entry(rs.getString("id"), ctx.findColumnMapperFor(Instant.class).orElseThrow().map(rs, "sessions_valid_after", ctx)))
        .forEach(e -> all.put(e.getKey(), e.getValue())));
    return all;
  }

  /**
   * Moves the account's {@code sessions_valid_after} forward to {@code at} (never back: of two
   * servers signing one account out at once, the later time wins).
   *
   * @return whether the account exists
   */
  boolean invalidateBefore(String accountId, Instant at) {
    return jdbi.withHandle(h -> {
      h.createUpdate("UPDATE accounts SET sessions_valid_after = :at WHERE id = :id"
              + " AND (sessions_valid_after IS NULL OR sessions_valid_after < :at)")
          .bind("at", at).bind("id", accountId).execute();
      return h.createQuery("SELECT COUNT(*) FROM accounts WHERE id = :id").bind("id", accountId).mapTo(Long.class).one() > 0;
    });
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && ("23505".equals(sql.getSQLState()) || "23001".equals(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }
}
