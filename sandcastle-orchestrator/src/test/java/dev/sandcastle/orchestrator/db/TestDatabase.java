package dev.sandcastle.orchestrator.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Where a contract test's database lives: an H2 file database in a temporary directory, or a fresh
 * schema of the local PostgreSQL ({@code 127.0.0.1:5432/test}, user postgres, trust auth) that
 * {@link #close()} drops. {@link #open()} may be called again after closing the previous
 * {@link Database}, to test what survives a restart.
 */
public sealed interface TestDatabase extends AutoCloseable {
  Database open();

  /** Runs SQL outside the pool, as an operator with psql would. */
  void sql(String statement);

  @Override
  void close();

  /** An H2 database in a new temporary directory, deleted by {@link #close()}. */
  static TestDatabase h2() {
    try {
      return new H2(Files.createTempDirectory("sandcastle-h2-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TestDatabase postgres() {
    return new Postgres("t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
  }

  record H2(Path dir) implements TestDatabase {
    @Override
    public Database open() {
      return Database.open(Database.h2Url(dir), "sa", "");
    }

    @Override
    public void sql(String statement) {
      run(Database.h2Url(dir), "sa", statement);
    }

    @Override
    public void close() {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  record Postgres(String schema) implements TestDatabase {
    static final String BASE = "jdbc:postgresql://127.0.0.1:5432/test";

    public Postgres {
      run(BASE, "postgres", "CREATE SCHEMA " + schema);
    }

    @Override
    public Database open() {
      return Database.open(BASE + "?currentSchema=" + schema, "postgres", "");
    }

    @Override
    public void sql(String statement) {
      run(BASE + "?currentSchema=" + schema, "postgres", statement);
    }

    @Override
    public void close() {
      run(BASE, "postgres", "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  private static void run(String url, String user, String sql) {
    try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test SQL failed: " + sql, e);
    }
  }
}
