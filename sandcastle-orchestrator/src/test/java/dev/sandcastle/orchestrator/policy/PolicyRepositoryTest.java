package dev.sandcastle.orchestrator.policy;

import dev.sandcastle.orchestrator.db.TestDatabase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

class PolicyRepositoryTest {

  @Nested
  class OnH2 extends PolicyRepositoryContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends PolicyRepositoryContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }
}
