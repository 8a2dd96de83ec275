package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code sandcastle serve} keeps each user's chat conversations, and only theirs. */
@Tag("bwrap")
class ConversationsTest {
  static Path data;
  static Orchestrator server;
  static Http anonymous;
  static Http ada;
  static Http bob;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("sandcastle-conversations");
    data.toFile().setExecutable(true, false);
    server = OrchestratorTest.start(data, Map.of());
    anonymous = new Http("http://127.0.0.1:" + server.port(), Map.of());
    ada = signUp("ada@example.com", "Ada");
    bob = signUp("bob@example.com", "Bob");
  }

  @AfterAll
  static void stop() {
    server.close();
    AccountsTest.deleteQuietly(data);
  }

  static Http signUp(String email, String name) {
    Http.Response response = anonymous.post("/api/auth/signup", Map.of("email", email, "name", name, "password", "a-long-password"));
    assertThat(response.status()).as(response.text()).isEqualTo(201);
    return anonymous.with("Authorization", "Bearer " + response.json().path("token").asString());
  }

  static String create(Http user, String title) {
    Http.Response created = user.post("/api/conversations", Map.of("title", title, "model", "test-model"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    return created.json().path("id").asString();
  }

  static List<String> titles(JsonNode list) {
    return list.path("items").findValuesAsString("title");
  }

  @Test
  void eachUserKeepsSearchesRenamesAndDeletesTheirOwnConversations() {
    String plots = create(ada, "Plotting sines");
    String budget = create(ada, "Budget 2026");
    Http.Response appended = ada.post("/api/conversations/" + budget + "/messages", Map.of("messages", List.of(
        Map.of("role", "user", "content", "What is 10% of the TRAVEL budget?"),
        Map.of("role", "assistant", "content", "Let me compute it.", "extra", Map.of("tool_calls", List.of(Map.of("name", "execute")))))));
    String bobs = create(bob, "Bob's travel plans");

    assertThat(appended.status()).as(appended.text()).isEqualTo(200);
    assertThat(appended.json().path("messages").findValuesAsString("role")).containsExactly("user", "assistant");
    assertThat(appended.json().path("messages").path(1).path("extra").path("tool_calls").path(0).path("name").asString())
        .isEqualTo("execute");
    JsonNode adaList = ada.get("/api/conversations").json();
    assertThat(titles(adaList)).containsExactly("Budget 2026", "Plotting sines");
    assertThat(adaList.path("total").asLong()).isEqualTo(2);
    assertThat(adaList.path("items").path(0).has("created_at")).isTrue();
    assertThat(titles(ada.get("/api/conversations?q=travel").json())).containsExactly("Budget 2026");
    assertThat(titles(ada.get("/api/conversations?q=10%25").json())).containsExactly("Budget 2026");
    assertThat(titles(ada.get("/api/conversations?limit=1&offset=1").json())).containsExactly("Plotting sines");
    assertThat(titles(bob.get("/api/conversations?q=travel").json())).containsExactly("Bob's travel plans");

    Http.Response regenerated = ada.post("/api/conversations/" + budget + "/messages",
        Map.of("from_position", 1, "messages", List.of(Map.of("role", "assistant", "content", "It is 120 euros."))));
    assertThat(regenerated.json().path("messages").findValuesAsString("content"))
        .containsExactly("What is 10% of the TRAVEL budget?", "It is 120 euros.");

    Http.Response renamed = ada.patch("/api/conversations/" + plots, Map.of("title", "Sines and cosines"));
    assertThat(renamed.status()).as(renamed.text()).isEqualTo(200);
    assertThat(ada.get("/api/conversations/" + plots).json().path("title").asString()).isEqualTo("Sines and cosines");

    // Bob cannot see, change or delete Ada's conversations, and cannot tell they exist.
    assertThat(bob.get("/api/conversations/" + budget).status()).isEqualTo(404);
    assertThat(bob.patch("/api/conversations/" + budget, Map.of("title", "mine")).status()).isEqualTo(404);
    assertThat(bob.post("/api/conversations/" + budget + "/messages",
        Map.of("messages", List.of(Map.of("role", "user", "content", "hi")))).status()).isEqualTo(404);
    assertThat(bob.delete("/api/conversations/" + budget).status()).isEqualTo(404);
    assertThat(bob.get("/api/conversations/no-such-conversation").status()).isEqualTo(404);
    assertThat(ada.get("/api/conversations/" + bobs).status()).isEqualTo(404);
    assertThat(ada.get("/api/conversations/" + budget).json().path("messages").size()).isEqualTo(2);

    assertThat(ada.delete("/api/conversations/" + plots).status()).isEqualTo(204);
    assertThat(ada.get("/api/conversations/" + plots).status()).isEqualTo(404);
    assertThat(titles(ada.get("/api/conversations").json())).containsExactly("Budget 2026");
    assertThat(titles(bob.get("/api/conversations").json())).containsExactly("Bob's travel plans");
  }

  @Test
  void conversationsNeedAUserAndValidInput() {
    assertThat(anonymous.get("/api/conversations").status()).isEqualTo(401);
    assertThat(anonymous.post("/api/conversations", Map.of("title", "x")).status()).isEqualTo(401);

    String id = create(bob, "checks");
    assertThat(bob.post("/api/conversations/" + id + "/messages", Map.of("messages", List.of(Map.of("role", "wizard", "content", "x"))))
        .status()).isEqualTo(400);
    assertThat(bob.post("/api/conversations/" + id + "/messages", Map.of("from_position", 7,
        "messages", List.of(Map.of("role", "user", "content", "x")))).status()).isEqualTo(400);
    assertThat(bob.post("/api/conversations", Map.of("title", "t".repeat(513))).status()).isEqualTo(400);
    assertThat(bob.get("/api/conversations?limit=0").status()).isEqualTo(400);
    assertThat(bob.get("/api/conversations?limit=lots").status()).isEqualTo(400);

    // An Open WebUI user, on whose behalf the admin key is sent with X-User-Id, has conversations of their own.
    Http carol = anonymous.with("Authorization", "Bearer " + OrchestratorTest.ADMIN_KEY).with("X-User-Id", "openwebui-carol");
    String carols = create(carol, "Carol's chat");
    assertThat(titles(carol.get("/api/conversations").json())).containsExactly("Carol's chat");
    assertThat(bob.get("/api/conversations/" + carols).status()).isEqualTo(404);
  }
}
