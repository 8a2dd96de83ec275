package dev.sandcastle.orchestrator.crypto;

import dev.sandcastle.orchestrator.db.TestDatabase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

class KeyRotationTest {

  @Nested
  class OnH2 extends KeyRotationContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends KeyRotationContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }
}
