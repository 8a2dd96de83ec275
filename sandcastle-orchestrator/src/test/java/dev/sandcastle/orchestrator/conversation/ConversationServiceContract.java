package dev.sandcastle.orchestrator.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.orchestrator.conversation.Message.Draft;
import dev.sandcastle.orchestrator.conversation.Message.Role;
import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

abstract class ConversationServiceContract extends DatabaseContract {
  static final String ADA = "ada";
  static final String BOB = "bob";

  /** A clock one second further on at every reading, so every change has its own time. */
  static final class Ticking extends Clock {
    private final AtomicLong seconds = new AtomicLong(1_800_000_000L);

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(seconds.incrementAndGet(), 123_456_789);
    }
  }

  ConversationService service(int maxMessages, int maxConversations) {
    return new ConversationService(new ConversationRepository(db), new Ticking(), maxMessages, maxConversations);
  }

  ConversationService service() {
    return service(ConversationService.MAX_MESSAGES, ConversationService.MAX_CONVERSATIONS);
  }

  static Draft user(String text) {
    return new Draft(Role.USER, text, "");
  }

  static Draft assistant(String text) {
    return new Draft(Role.ASSISTANT, text, "");
  }

  static List<String> contents(Transcript t) {
    return t.messages().stream().map(Message::content).toList();
  }

  static List<String> titles(ConversationPage page) {
    return page.items().stream().map(Conversation::title).toList();
  }

  @Test
  void aConversationIsCreatedFilledReadRenamedAndDeleted() {
    ConversationService chats = service();

    Conversation created = chats.create(ADA, "  Plotting sines ", "gpt-test");
    chats.append(ADA, created.id(), List.of(user("plot sin(x)"),
        new Draft(Role.ASSISTANT, "here it is", "{\"tool_calls\":[{\"name\":\"execute\"}]}")));
    Transcript read = chats.get(ADA, created.id());

    assertThat(created.title()).isEqualTo("Plotting sines");
    assertThat(created.model()).isEqualTo("gpt-test");
    assertThat(read.conversation().id()).isEqualTo(created.id());
    assertThat(read.messages()).extracting(Message::position).containsExactly(0, 1);
    assertThat(read.messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
    assertThat(contents(read)).containsExactly("plot sin(x)", "here it is");
    assertThat(read.messages().get(1).extra()).isEqualTo("{\"tool_calls\":[{\"name\":\"execute\"}]}");
    assertThat(read.conversation().updatedAt()).isAfter(created.updatedAt());

    Conversation renamed = chats.rename(ADA, created.id(), "Sines and cosines");
    assertThat(renamed.title()).isEqualTo("Sines and cosines");
    assertThat(chats.get(ADA, created.id()).conversation().title()).isEqualTo("Sines and cosines");

    chats.delete(ADA, created.id());
    assertThatThrownBy(() -> chats.get(ADA, created.id())).isInstanceOf(NotFound.class);
    assertThat(chats.list(ADA, Optional.empty(), 10, 0).total()).isZero();
    long messagesLeft = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM messages").mapTo(Long.class).one());
    assertThat(messagesLeft).isZero();
  }

  @Test
  void appendsContinueAfterTheLastMessageAndSurviveARestart() {
    ConversationService chats = service();
    Conversation c = chats.create(ADA, "", "");

    chats.append(ADA, c.id(), List.of(user("one")));
    chats.append(ADA, c.id(), List.of(assistant("two"), user("three")));
    ConversationService afterRestart = new ConversationService(reopen());

    Transcript read = afterRestart.get(ADA, c.id());
    assertThat(contents(read)).containsExactly("one", "two", "three");
    assertThat(read.messages()).extracting(Message::position).containsExactly(0, 1, 2);
    assertThat(read.conversation().title()).isEmpty();
  }

  @Test
  void regenerateReplacesTheMessagesFromAPositionOn() {
    ConversationService chats = service();
    Conversation c = chats.create(ADA, "t", "m");
    chats.append(ADA, c.id(), List.of(user("question"), assistant("bad answer"), user("follow-up"), assistant("more")));

    Transcript regenerated = chats.replaceFrom(ADA, c.id(), 1, List.of(assistant("good answer")));
    Transcript appended = chats.replaceFrom(ADA, c.id(), 2, List.of(user("next")));
    Transcript truncated = chats.replaceFrom(ADA, c.id(), 1, List.of());

    assertThat(contents(regenerated)).containsExactly("question", "good answer");
    assertThat(contents(appended)).containsExactly("question", "good answer", "next");
    assertThat(contents(truncated)).containsExactly("question");
    assertThatThrownBy(() -> chats.replaceFrom(ADA, c.id(), 5, List.of(user("x"))))
        .isInstanceOf(BadRequest.class).hasMessageContaining("beyond the end");
    assertThatThrownBy(() -> chats.replaceFrom(ADA, c.id(), -1, List.of(user("x")))).isInstanceOf(BadRequest.class);
    assertThat(contents(chats.get(ADA, c.id()))).containsExactly("question");
  }

  @Test
  void searchFindsTitlesAndMessageContentsIgnoringCaseAndTakesWildcardsLiterally() {
    ConversationService chats = service();
    Conversation title = chats.create(ADA, "Quarterly REVENUE chart", "");
    Conversation content = chats.create(ADA, "untitled", "");
    chats.append(ADA, content.id(), List.of(user("what was our revenue in May?")));
    Conversation percent = chats.create(ADA, "growth of 50% per year", "");
    Conversation underscore = chats.create(ADA, "rename my_file", "");
    chats.append(ADA, underscore.id(), List.of(user("and mykfile too")));
    chats.create(ADA, "growth of 50 percent", "");
    chats.create(BOB, "bob's revenue", "");

    assertThat(chats.list(ADA, Optional.of("revenue"), 10, 0).items()).extracting(Conversation::id)
        .containsExactlyInAnyOrder(title.id(), content.id());
    assertThat(chats.list(ADA, Optional.of("50%"), 10, 0).items()).extracting(Conversation::id).containsExactly(percent.id());
    assertThat(chats.list(ADA, Optional.of("my_file"), 10, 0).items()).extracting(Conversation::id).containsExactly(underscore.id());
    assertThat(chats.list(ADA, Optional.of("y_f"), 10, 0).total()).isEqualTo(1);
    assertThat(chats.list(ADA, Optional.of("%"), 10, 0).items()).extracting(Conversation::id).containsExactly(percent.id());
    assertThat(chats.list(ADA, Optional.of("!"), 10, 0).total()).isZero();
    assertThat(chats.list(ADA, Optional.of("   "), 10, 0).total()).isEqualTo(5);
    assertThat(chats.list(ADA, Optional.of("nothing like this"), 10, 0).items()).isEmpty();
  }

  @Test
  void listsAreNewestFirstAndPaged() {
    ConversationService chats = service();
    Conversation first = chats.create(ADA, "first", "");
    chats.create(ADA, "second", "");
    chats.create(ADA, "third", "");
    chats.create(ADA, "fourth", "");

    assertThat(titles(chats.list(ADA, Optional.empty(), 10, 0))).containsExactly("fourth", "third", "second", "first");
    ConversationPage page = chats.list(ADA, Optional.empty(), 2, 1);
    assertThat(titles(page)).containsExactly("third", "second");
    assertThat(page.total()).isEqualTo(4);
    assertThat(chats.list(ADA, Optional.empty(), 2, 4).items()).isEmpty();

    chats.append(ADA, first.id(), List.of(user("back to the first")));
    assertThat(titles(chats.list(ADA, Optional.empty(), 1, 0))).containsExactly("first");
    assertThatThrownBy(() -> chats.list(ADA, Optional.empty(), 0, 0)).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> chats.list(ADA, Optional.empty(), 10, -1)).isInstanceOf(BadRequest.class);
  }

  @Test
  void anotherOwnersConversationIsNotFoundWhateverOneTries() {
    ConversationService chats = service();
    Conversation adas = chats.create(ADA, "private", "");
    chats.append(ADA, adas.id(), List.of(user("secret plans")));

    assertThatThrownBy(() -> chats.get(BOB, adas.id())).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> chats.rename(BOB, adas.id(), "mine now")).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> chats.append(BOB, adas.id(), List.of(user("hi")))).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> chats.replaceFrom(BOB, adas.id(), 0, List.of())).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> chats.delete(BOB, adas.id())).isInstanceOf(NotFound.class);
    assertThat(chats.list(BOB, Optional.empty(), 10, 0).total()).isZero();
    assertThat(chats.list(BOB, Optional.of("secret"), 10, 0).total()).isZero();
    assertThatThrownBy(() -> chats.get(ADA, "no-such-id")).isInstanceOf(NotFound.class).hasMessage("there is no such conversation");

    Transcript untouched = chats.get(ADA, adas.id());
    assertThat(untouched.conversation().title()).isEqualTo("private");
    assertThat(contents(untouched)).containsExactly("secret plans");
  }

  @Test
  void limitsAreEnforcedWithClearMessages() {
    ConversationService chats = service(3, 2);
    Conversation c = chats.create(ADA, "x".repeat(ConversationService.MAX_TITLE), "");
    chats.create(ADA, "second", "");

    assertThatThrownBy(() -> chats.create(ADA, "third", "")).isInstanceOf(QuotaExceeded.class)
        .hasMessageContaining("2 conversations");
    assertThat(chats.create(BOB, "bob's first", "").owner()).isEqualTo(BOB);
    assertThatThrownBy(() -> chats.create(BOB, "y".repeat(ConversationService.MAX_TITLE + 1), ""))
        .isInstanceOf(BadRequest.class).hasMessageContaining("title is at most 512");
    assertThatThrownBy(() -> chats.rename(ADA, c.id(), "y".repeat(ConversationService.MAX_TITLE + 1)))
        .isInstanceOf(BadRequest.class).hasMessageContaining("title is at most 512");

    chats.append(ADA, c.id(), List.of(user("1"), assistant("2")));
    assertThatThrownBy(() -> chats.append(ADA, c.id(), List.of(user("3"), assistant("4"))))
        .isInstanceOf(QuotaExceeded.class).hasMessageContaining("at most 3 messages");
    assertThat(contents(chats.replaceFrom(ADA, c.id(), 1, List.of(assistant("2b"), user("3"))))).containsExactly("1", "2b", "3");

    String big = "é".repeat(ConversationService.MAX_CONTENT_BYTES / 2 + 1); // fewer characters than bytes
    assertThatThrownBy(() -> chats.replaceFrom(ADA, c.id(), 2, List.of(user(big))))
        .isInstanceOf(BadRequest.class).hasMessageContaining("content is at most 1000000 bytes");
    assertThatThrownBy(() -> chats.replaceFrom(ADA, c.id(), 2, List.of(new Draft(Role.TOOL, "out", "{not json"))))
        .isInstanceOf(BadRequest.class).hasMessageContaining("must be JSON");
    assertThat(contents(chats.get(ADA, c.id()))).containsExactly("1", "2b", "3");

    String largest = "a".repeat(ConversationService.MAX_CONTENT_BYTES);
    chats.replaceFrom(ADA, c.id(), 2, List.of(user(largest)));
    assertThat(chats.get(ADA, c.id()).messages().get(2).content()).hasSize(ConversationService.MAX_CONTENT_BYTES);
    assertThatThrownBy(() -> Role.of("admin")).isInstanceOf(BadRequest.class).hasMessageContaining("user, assistant, system, tool");
  }
}
