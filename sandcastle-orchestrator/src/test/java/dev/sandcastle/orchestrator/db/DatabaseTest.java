package dev.sandcastle.orchestrator.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.sandcastle.core.errors.Unavailable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class DatabaseTest {

  @Nested
  class OnH2 extends MigrationContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends MigrationContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }

  @Test
  void anUnreachableDatabaseFailsClearlyWithoutShowingThePassword() {
    assertThatThrownBy(() -> Database.open("jdbc:postgresql://127.0.0.1:1/test", "postgres", "hunter2-secret"))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("cannot connect to the database at jdbc:postgresql://127.0.0.1:1/test")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> Database.open("jdbc:postgresql://127.0.0.1:1/test?user=x&password=hunter2", "", ""))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("password=***")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void theEmbeddedDatabaseLivesInTheDataDirectory(@TempDir Path dir) {
    Path data = dir.resolve("data");
    try (Database db = Database.open(Database.h2Url(data), "sa", "")) {
      long tenants = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM tenants").mapTo(Long.class).one());
      assertThat(tenants).isZero();
    }
    assertThat(data.resolve("sandcastle.mv.db")).isRegularFile();
  }

  @Test
  void aDataDirectoryThatIsAFileIsReportedAsUnavailable(@TempDir Path dir) throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");
    // H2 logs the failure itself (with a stack trace); this test expects it, so keep it quiet.
    Logger h2 = (Logger) LoggerFactory.getLogger("h2database");
    Level level = h2.getLevel();
    h2.setLevel(Level.OFF);
    try {
      assertThatThrownBy(() -> Database.open(Database.h2Url(notADirectory), "sa", ""))
          .isInstanceOf(Unavailable.class)
          .hasMessageStartingWith("cannot connect to the database at jdbc:h2:file:");
    } finally {
      h2.setLevel(level);
    }
  }
}
