package dev.sandcastle.orchestrator.conversation;

import dev.sandcastle.orchestrator.db.TestDatabase;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

class ConversationServiceTest {

  @Nested
  class OnH2 extends ConversationServiceContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.h2();
    }
  }

  @Nested
  @Tag("postgres")
  class OnPostgres extends ConversationServiceContract {
    @Override
    protected TestDatabase newTestDatabase() {
      return TestDatabase.postgres();
    }
  }
}
