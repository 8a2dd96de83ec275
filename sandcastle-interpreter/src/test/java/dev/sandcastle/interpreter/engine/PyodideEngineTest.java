package dev.sandcastle.interpreter.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The Pyodide engine and its broker, with fake browser pages that answer on their own threads. */
class PyodideEngineTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final Duration RUN = Duration.ofSeconds(10);

  final PyodideBroker broker = new PyodideBroker(Duration.ofMillis(200), 2);
  final PyodideEngine engine = new PyodideEngine(broker);

  /**
   * A browser page: records what the server sends and answers each execute request on a virtual
   * thread of its own with {@code script} (given the page and the request).
   */
  final class FakePage {
    final List<JsonNode> sent = new CopyOnWriteArrayList<>();
    final PyodideBroker.Registration registration;

    FakePage(String user, BiConsumer<FakePage, JsonNode> script) {
      registration = broker.register(user, text -> {
        JsonNode message = JSON.readTree(text);
        sent.add(message);
        if (message.path("type").asString().equals("execute")) {
          Thread.ofVirtual().start(() -> script.accept(this, message));
        }
      });
    }

    void reply(Object message) {
      registration.received(JSON.writeValueAsString(message));
    }

    List<String> types() {
      return sent.stream().map(m -> m.path("type").asString()).toList();
    }
  }

  static EngineContext chat(String user) {
    return new EngineContext(user, "chat-1");
  }

  static Map<String, Object> result(JsonNode request, String status, List<?> outputs) {
    return Map.of("type", "result", "id", request.path("id").asString(), "status", status, "outputs", outputs);
  }

  @Test
  void theResultIsMappedToOutputs() throws InterruptedException {
    FakePage page = new FakePage("alice", (self, request) -> self.reply(result(request, "ok", List.of(
        Map.of("type", "stream", "name", "stdout", "text", "hello\n"),
        Map.of("type", "stream", "name", "stderr", "text", "careful\n"),
        Map.of("type", "display", "data", Map.of("image/png", "iVBORw0KGgo=\n", "text/plain", "<Figure>")),
        Map.of("type", "display", "data", Map.of("application/json", Map.of("a", List.of(1, 2)))),
        Map.of("type", "result", "data", Map.of("text/plain", "42"))))));

    CodeRun run = engine.run(chat("alice"), "print('hello')\n42", RUN, output -> {});

    assertThat(run.status()).isEqualTo(CodeRun.Status.OK);
    assertThat(run.stdout()).isEqualTo("hello\n");
    assertThat(run.stderr()).isEqualTo("careful\n");
    assertThat(run.resultText()).contains("42");
    assertThat(run.outputs()).contains(
        new CodeOutput.Display(Map.of("image/png", "iVBORw0KGgo=", "text/plain", "<Figure>")),
        new CodeOutput.Display(Map.of("application/json", Map.of("a", List.of(1, 2)))));
    JsonNode execute = page.sent.getFirst();
    assertThat(execute.path("type").asString()).isEqualTo("execute");
    assertThat(execute.path("code").asString()).isEqualTo("print('hello')\n42");
    assertThat(execute.path("timeout_ms").asLong()).isEqualTo(RUN.toMillis());
    assertThat(execute.path("chat_id").asString()).isEqualTo("chat-1");
    assertThat(execute.path("id").asString()).isNotBlank();
  }

  @Test
  void incrementalOutputsReachLiveOnTheCallingThreadBeforeTheEnd() throws InterruptedException {
    CountDownLatch firstSeen = new CountDownLatch(1);
    new FakePage("alice", (self, request) -> {
      String id = request.path("id").asString();
      self.reply(Map.of("type", "output", "id", id, "output", Map.of("type", "stream", "name", "stdout", "text", "step 1\n")));
      try {
        // the end comes only once the caller has shown the first output
        assertThat(firstSeen.await(10, TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        return;
      }
      self.reply(Map.of("type", "output", "id", id, "output_type", "error", "ename", "ValueError", "evalue", "bad",
          "traceback", List.of("Traceback (most recent call last):", "\u001b[31mValueError\u001b[0m: bad")));
      self.reply(result(request, "error", List.of()));
    });
    List<CodeOutput> seen = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();

    CodeRun run = engine.run(chat("alice"), "...", RUN, output -> {
      seen.add(output);
      threads.add(Thread.currentThread());
      firstSeen.countDown();
    });

    assertThat(run.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(seen).isEqualTo(run.outputs());
    assertThat(seen).hasSize(2);
    assertThat(threads).containsOnly(Thread.currentThread());
    assertThat(run.stdout()).isEqualTo("step 1\n");
    assertThat(run.stderr()).isEqualTo("Traceback (most recent call last):\nValueError: bad\n");
  }

  @Test
  void aPageThatNeverAnswersGivesATimeoutAndIsAskedToStop() throws InterruptedException {
    FakePage page = new FakePage("alice", (self, request) ->
        self.reply(Map.of("type", "output", "id", request.path("id").asString(),
            "output", Map.of("type", "stream", "name", "stdout", "text", "working\n"))));

    CodeRun run = engine.run(chat("alice"), "while True: pass", Duration.ofMillis(300), output -> {});

    assertThat(run.status()).isEqualTo(CodeRun.Status.TIMEOUT);
    assertThat(run.stdout()).isEqualTo("working\n");
    assertThat(run.stderr()).contains("TimeoutError");
    assertThat(run.duration()).isBetween(Duration.ofMillis(500), Duration.ofSeconds(5));
    assertThat(page.types()).containsExactly("execute", "cancel");
    assertThat(page.sent.get(1).path("id").asString()).isEqualTo(page.sent.get(0).path("id").asString());
  }

  @Test
  void withoutAnOpenPageTheEngineIsUnavailable() {
    FakePage other = new FakePage("bob", (self, request) -> self.reply(result(request, "ok", List.of())));

    assertThatThrownBy(() -> engine.run(chat("alice"), "1", RUN, output -> {}))
        .isInstanceOf(Unavailable.class)
        .hasMessage("no browser page with the Pyodide engine is open for this user; open the chat in a browser");
    assertThat(other.sent).isEmpty();
    assertThat(broker.hasPage("alice")).isFalse();
  }

  @Test
  void aPageClosingMidRunMakesTheRunUnavailable() {
    FakePage page = new FakePage("alice", (self, request) -> self.registration.close());

    assertThatThrownBy(() -> engine.run(chat("alice"), "1", RUN, output -> {}))
        .isInstanceOf(Unavailable.class).hasMessageContaining("closed");
    assertThat(broker.hasPage("alice")).isFalse();
    assertThat(page.types()).containsExactly("execute");
  }

  @Test
  void repliesWithAnotherIdOrFromAnotherUsersPageAreIgnored() throws InterruptedException {
    AtomicReference<FakePage> mallory = new AtomicReference<>();
    mallory.set(new FakePage("mallory", (self, request) -> {}));
    new FakePage("alice", (self, request) -> {
      String id = request.path("id").asString();
      self.reply(Map.of("type", "result", "id", "not-" + id, "status", "ok",
          "outputs", List.of(Map.of("type", "stream", "name", "stdout", "text", "wrong id\n"))));
      mallory.get().reply(Map.of("type", "result", "id", id, "status", "ok",
          "outputs", List.of(Map.of("type", "stream", "name", "stdout", "text", "forged\n"))));
      self.registration.received("not json at all");
      self.reply(Map.of("type", "result", "id", id, "status", "ok",
          "outputs", List.of(Map.of("type", "stream", "name", "stdout", "text", "genuine\n"))));
      self.reply(Map.of("type", "result", "id", id, "status", "ok",
          "outputs", List.of(Map.of("type", "stream", "name", "stdout", "text", "again\n"))));
    });

    CodeRun run = engine.run(chat("alice"), "print('genuine')", RUN, output -> {});

    assertThat(run.stdout()).isEqualTo("genuine\n");
  }

  @Test
  void theMostRecentPageRunsTheCodeAndTheOlderOneTakesOverWhenItCloses() throws InterruptedException {
    FakePage older = new FakePage("alice", (self, request) -> self.reply(result(request, "ok",
        List.of(Map.of("type", "stream", "name", "stdout", "text", "older\n")))));
    FakePage newer = new FakePage("alice", (self, request) -> self.reply(result(request, "ok",
        List.of(Map.of("type", "stream", "name", "stdout", "text", "newer\n")))));

    assertThat(engine.run(chat("alice"), "1", RUN, output -> {}).stdout()).isEqualTo("newer\n");
    newer.registration.close();
    assertThat(engine.run(chat("alice"), "1", RUN, output -> {}).stdout()).isEqualTo("older\n");
    assertThat(older.types()).containsExactly("execute");
  }

  @Test
  void onlyAFewRunsMayWaitForOneUsersPages() throws InterruptedException {
    CountDownLatch requests = new CountDownLatch(2);
    new FakePage("alice", (self, request) -> requests.countDown());
    List<Thread> waiting = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      waiting.add(Thread.ofVirtual().start(() -> {
        try {
          engine.run(chat("alice"), "import time; time.sleep(100)", Duration.ofSeconds(2), output -> {});
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    assertThat(requests.await(10, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> engine.run(chat("alice"), "1", RUN, output -> {})).isInstanceOf(QuotaExceeded.class);

    waiting.forEach(Thread::interrupt);
    for (Thread thread : waiting) {
      thread.join(Duration.ofSeconds(5));
    }
    // interrupted runs stop waiting: there is room again
    await().atMost(Duration.ofSeconds(5)).ignoreException(QuotaExceeded.class).untilAsserted(() ->
        assertThat(engine.run(chat("alice"), "1", Duration.ofMillis(50), output -> {}).status())
            .isEqualTo(CodeRun.Status.TIMEOUT));
  }
}
