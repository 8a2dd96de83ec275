package dev.sandcastle.orchestrator.db;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the tests that run the same body against H2 and PostgreSQL: a test class declares two
 * {@code @Nested} subclasses, one per {@link TestDatabase} (the PostgreSQL one tagged
 * {@code postgres}). The database is created and migrated once per subclass and emptied before
 * each test, so {@link #db} always starts with empty tables.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DatabaseContract {
  protected TestDatabase where;
  protected Database db;

  /** A new, empty database for this class's tests. */
  protected abstract TestDatabase newTestDatabase();

  @BeforeAll
  protected void openDatabase() {
    where = newTestDatabase();
    db = where.open();
  }

  @BeforeEach
  protected void emptyTables() {
    db.jdbi().useTransaction(h -> {
      for (String table : new String[] {"siem_outbox", "audit_events", "tenants", "policies", "revoked_sessions", "accounts", "messages", "conversations"}) {
        h.execute("DELETE FROM " + table);
      }
    });
  }

  @AfterAll
  protected void closeDatabase() {
    try {
      if (db != null) {
        db.close();
      }
    } finally {
      if (where != null) {
        where.close();
      }
    }
  }

  /** Closes the database and opens it again, as a restarted server would. */
  protected Database reopen() {
    db.close();
    db = where.open();
    return db;
  }
}
