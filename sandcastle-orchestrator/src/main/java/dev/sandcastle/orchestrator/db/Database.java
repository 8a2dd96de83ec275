package dev.sandcastle.orchestrator.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.sandcastle.core.errors.Unavailable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.AbstractArgumentFactory;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.config.ConfigRegistry;

/**
 * The orchestrator's database: a small connection pool on H2 (embedded, the default) or
 * PostgreSQL, migrated to the current schema when opened. The same migrations
 * ({@code classpath:db/migration}) serve both.
 *
 * <p>{@link #jdbi()} is safe to use from any number of threads; each call to one of its
 * {@code withHandle}/{@code inTransaction} methods borrows a pooled connection (at most
 * {@value #MAX_CONNECTIONS}, waiting up to ten seconds for one). {@link Instant} values bind as
 * {@code TIMESTAMP WITH TIME ZONE} in UTC, truncated to microseconds (the precision both databases
 * keep), and {@code Instant} columns map back the same way, so a value reads back exactly as stored.
 *
 * <p>{@link #open} fails with {@link Unavailable} when the database cannot be reached or migrated;
 * the message never contains the password. {@link #close()} closes the pool (and with it an
 * embedded database); it is idempotent.
 */
public final class Database implements AutoCloseable {
  static final int MAX_CONNECTIONS = 8;
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password\\s*=)[^;&]*");

  private final HikariDataSource pool;
  private final Jdbi jdbi;

  private Database(HikariDataSource pool) {
    this.pool = pool;
    this.jdbi = Jdbi.create(pool);
    jdbi.registerArgument(new InstantArgument());
    jdbi.registerColumnMapper(Instant.class, (rs, column, ctx) -> {
      OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
      return value == null ? null : value.toInstant();
    });
  }

  /**
   * Connects, migrates the schema and returns the open database.
   *
   * @param jdbcUrl e.g. {@link #h2Url(Path)} or {@code jdbc:postgresql://host:5432/db}
   * @throws Unavailable when the database cannot be reached, refuses the credentials or cannot be migrated
   */
  public static Database open(String jdbcUrl, String user, String password) {
    if (jdbcUrl == null || jdbcUrl.isBlank()) {
      throw new IllegalArgumentException("a JDBC URL is required");
    }
    String secret = password == null ? "" : password;
    // Probe once without the pool, so an unreachable database is reported here, in one line,
    // rather than by the pool's own error log with a stack trace.
    java.util.Properties login = new java.util.Properties();
    login.setProperty("user", user == null ? "" : user);
    login.setProperty("password", secret);
    try (Connection probe = DriverManager.getConnection(jdbcUrl, login)) {
      probe.isValid(5);
    } catch (SQLException | RuntimeException e) {
      throw failure("cannot connect to the database at " + redact(jdbcUrl, secret), e, secret);
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user == null ? "" : user);
    config.setPassword(secret);
    config.setPoolName("sandcastle-db");
    config.setMaximumPoolSize(MAX_CONNECTIONS);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(10_000);
    config.setValidationTimeout(5_000);
    config.setInitializationFailTimeout(1);
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw failure("cannot connect to the database at " + redact(jdbcUrl, secret), e, secret);
    }
    try {
      Flyway.configure(Database.class.getClassLoader())
          .dataSource(pool)
          .locations("classpath:db/migration")
          .failOnMissingLocations(true)
          .load()
          .migrate();
    } catch (FlywayException e) {
      pool.close();
      throw failure("cannot migrate the database at " + redact(jdbcUrl, secret), e, secret);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new Database(pool);
  }

  /**
   * The JDBC URL of the embedded database kept in {@code dataDir} (files {@code sandcastle.mv.db}
   * and friends). Every commit is written through before it returns, so a killed process loses
   * nothing it committed; the database closes when the last pooled connection does.
   */
  public static String h2Url(Path dataDir) {
    Path base = dataDir.toAbsolutePath().normalize().resolve("sandcastle");
    String file = base.toString().replace('\\', '/');
    if (file.contains(";")) {
      throw new IllegalArgumentException("the data directory's path must not contain ';'");
    }
    return "jdbc:h2:file:" + file + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;LOCK_TIMEOUT=10000;TRACE_LEVEL_FILE=4";
  }

  /** The shared JDBI instance over the pool. */
  public Jdbi jdbi() {
    return jdbi;
  }

  @Override
  public void close() {
    pool.close();
  }

  private static Unavailable failure(String what, Throwable cause, String password) {
    StringBuilder message = new StringBuilder(what);
    Throwable root = cause;
    boolean leaks = false;
    for (Throwable t = cause; t != null; t = t.getCause()) {
      root = t;
      if (!password.isEmpty() && t.getMessage() != null && t.getMessage().contains(password)) {
        leaks = true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    if (root.getMessage() != null && !root.getMessage().isBlank()) {
      String reason = root.getMessage().strip();
      int newline = reason.indexOf('\n');
      if (newline > 0) {
        reason = reason.substring(0, newline);
      }
      message.append(": ").append(redact(reason, password));
    }
    return leaks ? new Unavailable(message.toString()) : new Unavailable(message.toString(), cause);
  }

  private static String redact(String text, String password) {
    String out = PASSWORD_PARAM.matcher(text).replaceAll("$1***");
    return password.isEmpty() ? out : out.replace(password, "***");
  }

  /** Binds an {@link Instant} as a UTC {@code TIMESTAMP WITH TIME ZONE}, at microsecond precision. */
  private static final class InstantArgument extends AbstractArgumentFactory<Instant> {
    InstantArgument() {
      super(Types.TIMESTAMP_WITH_TIMEZONE);
    }

    @Override
    protected Argument build(Instant value, ConfigRegistry config) {
      OffsetDateTime utc = value.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
      return (position, statement, ctx) -> statement.setObject(position, utc);
    }
  }
}
