package dev.sandcastle.orchestrator.audit;

import dev.sandcastle.orchestrator.db.TestDatabase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

class AuditLogTest {

  @Nested
  class OnH2 extends AuditLogContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends AuditLogContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }
}
