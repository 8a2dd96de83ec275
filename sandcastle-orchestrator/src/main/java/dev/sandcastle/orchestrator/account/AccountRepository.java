package dev.sandcastle.orchestrator.account;

import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.orchestrator.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The accounts table. Safe from any number of threads; each method is one short transaction.
 * Database failures surface as JDBI's unchecked exceptions, except a duplicate email
 * ({@link Conflict}).
 */
final class AccountRepository {
  private static final String COLUMNS = "id, email, name, role, created_at";
  /** Sign-ups are rare and short (the password is hashed before): one at a time in this JVM. */
  private static final Object INSERTS = new Object();

  /** An account with its password hash, for signing in. */
  record Stored(Account account, String passwordHash) {}

  private final Jdbi jdbi;

  AccountRepository(Database database) {
    this.jdbi = database.jdbi();
  }

  /**
   * Creates an account with a new id: the first one in the table is an admin, later ones users.
   * Counting and inserting are one serializable transaction, and inserts in this JVM take turns,
   * so two first sign-ups at once cannot both become admin: H2 (embedded, one process) is covered
   * by the turns, PostgreSQL across servers by its serializable isolation (the loser is retried and
   * becomes a user).
   *
   * @param onlyIfFirst create it only when the table is empty
   * @return the account, or empty when {@code onlyIfFirst} and there are accounts already
   * @throws Conflict when an account with this email exists
   */
  Optional<Account> insert(String email, String name, String passwordHash, Instant created, boolean onlyIfFirst) {
    Instant createdAt = created.truncatedTo(java.time.temporal.ChronoUnit.MICROS); // as both databases keep it
    synchronized (INSERTS) {
      return insertSerializable(email, name, passwordHash, createdAt, onlyIfFirst);
    }
  }

  private Optional<Account> insertSerializable(String email, String name, String passwordHash, Instant createdAt, boolean onlyIfFirst) {
    for (int attempt = 0; ; attempt++) {
      try {
        return jdbi.inTransaction(TransactionIsolationLevel.SERIALIZABLE, h -> {
          boolean first = h.createQuery("SELECT COUNT(*) FROM accounts").mapTo(Long.class).one() == 0;
          if (onlyIfFirst && !first) {
            return Optional.<Account>empty(); // before the email check: a closed sign-up tells nothing about emails
          }
          if (h.createQuery("SELECT COUNT(*) FROM accounts WHERE email = :email").bind("email", email).mapTo(Long.class).one() > 0) {
            throw new Conflict("an account with this email exists already");
          }
          Account account = new Account(UUID.randomUUID().toString(), email, name, first ? Account.Role.ADMIN : Account.Role.USER,
              createdAt);
          h.createUpdate("INSERT INTO accounts (id, email, name, password_hash, role, created_at)"
                  + " VALUES (:id, :email, :name, :hash, :role, :at)")
              .bind("id", account.id()).bind("email", email).bind("name", name).bind("hash", passwordHash)
              .bind("role", account.role().wire()).bind("at", createdAt).execute();
          return Optional.of(account);
        });
      } catch (UnableToExecuteStatementException e) {
        if (isState(e, "23505") || isState(e, "23001")) {
          throw new Conflict("an account with this email exists already");
        }
        if (attempt >= 4 || !(isState(e, "40001") || isState(e, "40P01") || isState(e, "HYT00"))) {
          throw e;
        }
      } catch (org.jdbi.v3.core.transaction.TransactionException e) {
        if (attempt >= 4 || !isState(e, "40001")) {
          throw e;
        }
      }
    }
  }

  Optional<Account> find(String id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM accounts WHERE id = :id")
        .bind("id", id).map(AccountRepository::row).findOne());
  }

  /** Accounts in the order they were made, a page at a time. */
  java.util.List<Account> list(int limit, int offset) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM accounts ORDER BY created_at, id LIMIT :limit OFFSET :offset")
        .bind("limit", limit).bind("offset", offset).map(AccountRepository::row).list());
  }

  long count() {
    return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM accounts").mapTo(Long.class).one());
  }

  /** The account with this (lower-cased) email, with its password hash. */
  Optional<Stored> findByEmail(String email) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + ", password_hash FROM accounts WHERE email = :email")
        .bind("email", email).map((rs, ctx) -> new Stored(row(rs, ctx), rs.getString("password_hash"))).findOne());
  }

  /** Replaces an account's password hash (after a rehash with more iterations). */
  void updatePasswordHash(String id, String passwordHash) {
    jdbi.useHandle(h -> h.createUpdate("UPDATE accounts SET password_hash = :hash WHERE id = :id")
        .bind("hash", passwordHash).bind("id", id).execute());
  }

  private static Account row(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Account(rs.getString("id"), rs.getString("email"), rs.getString("name"), Account.Role.of(rs.getString("role")),
        ctx.findColumnMapperFor(Instant.class).orElseThrow().map(rs, "created_at", ctx));
  }

  private static boolean isState(Throwable e, String state) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && state.equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }
}
