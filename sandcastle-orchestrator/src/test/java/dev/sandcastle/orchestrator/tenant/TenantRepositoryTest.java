package dev.sandcastle.orchestrator.tenant;

import dev.sandcastle.orchestrator.db.TestDatabase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

class TenantRepositoryTest {

  @Nested
  class OnH2 extends TenantRepositoryContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends TenantRepositoryContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }
}
