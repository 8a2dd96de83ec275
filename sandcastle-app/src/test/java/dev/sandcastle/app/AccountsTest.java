package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code sandcastle serve} with local accounts: sign up, sign in, and use the session token everywhere. */
@Tag("bwrap")
class AccountsTest {
  static Path data;
  static Orchestrator server;
  static Http anonymous;
  static Http admin;
  /** The first sign-up, made before any test runs. */
  static Http.Response ada;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("sandcastle-accounts");
    data.toFile().setExecutable(true, false);
    server = OrchestratorTest.start(data, Map.of());
    anonymous = new Http("http://127.0.0.1:" + server.port(), Map.of());
    admin = anonymous.with("Authorization", "Bearer " + OrchestratorTest.ADMIN_KEY);
    ada = anonymous.post("/api/auth/signup", Map.of("email", "Ada@Example.com", "name", "Ada", "password", "analytical-engine"));
  }

  @AfterAll
  static void stop() {
    server.close();
    deleteQuietly(data);
  }

  /** Best effort: a workspace may hold files of other uids that only root could remove. */
  static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      // left for the temporary directory's cleaner
    }
  }

  static Http bearer(String token) {
    return anonymous.with("Authorization", "Bearer " + token);
  }

  @Test
  void theFirstPersonIsAdminAndEveryoneWorksInTheirOwnWorkspaceWithTheirToken() throws Exception {
    assertThat(ada.status()).as(ada.text()).isEqualTo(201);
    assertThat(ada.json().path("account").path("role").asString()).isEqualTo("admin");
    assertThat(ada.json().path("account").path("email").asString()).isEqualTo("ada@example.com");
    Http.Response bob = anonymous.post("/api/auth/signup", Map.of("email", "bob@example.com", "name", "Bob", "password", "bobs-password-1"));
    assertThat(bob.status()).as(bob.text()).isEqualTo(201);
    assertThat(bob.json().path("account").path("role").asString()).isEqualTo("user");
    String bobId = bob.json().path("account").path("id").asString();
    Http adaSession = bearer(ada.json().path("token").asString());
    Http bobSession = bearer(bob.json().path("token").asString());

    assertThat(adaSession.get("/api/v1/status").status()).isEqualTo(200);
    assertThat(bobSession.get("/api/v1/status").status()).isEqualTo(403);
    // The admin dashboard's user list: for admins only, without password hashes.
    tools.jackson.databind.JsonNode accounts = adaSession.get("/api/v1/accounts").json();
    assertThat(accounts.path("total").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(accounts.path("items").get(0).path("role").asString()).isEqualTo("admin");
    assertThat(accounts.toString()).doesNotContain("pbkdf2").doesNotContain("password");
    assertThat(bobSession.get("/api/v1/accounts").status()).isEqualTo(403);

    Http.Response run = bobSession.post("/execute?wait=5", Map.of("command", "echo hello from bob"));
    assertThat(run.status()).as(run.text()).isEqualTo(200);
    assertThat(output(run.json())).isEqualTo("hello from bob\n");
    // The workspace is Bob's: the user id came from his token.
    assertThat(admin.get("/api/v1/tenants").json().findValuesAsString("user_id")).contains(bobId);

    JsonNode me = bobSession.get("/api/auth/me").json();
    assertThat(me.path("id").asString()).isEqualTo(bobId);
    assertThat(me.path("name").asString()).isEqualTo("Bob");
    assertThat(me.has("password_hash")).isFalse();
    assertThat(anonymous.get("/api/auth/me").status()).isEqualTo(401);

    Http.Response signIn = anonymous.post("/api/auth/signin", Map.of("email", "BOB@example.com", "password", "bobs-password-1"));
    assertThat(signIn.status()).as(signIn.text()).isEqualTo(200);
    assertThat(signIn.json().path("account").path("id").asString()).isEqualTo(bobId);
    assertThat(bearer(signIn.json().path("token").asString()).get("/api/auth/me").json().path("email").asString())
        .isEqualTo("bob@example.com");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("session.key")))).isEqualTo("rw-------");
  }

  @Test
  void aWrongPasswordIsRefusedAndAuditedLikeAnyFailedAuthentication() {
    anonymous.post("/api/auth/signup", Map.of("email", "carol@example.com", "name", "Carol", "password", "carols-password"));

    Http.Response wrong = anonymous.post("/api/auth/signin", Map.of("email", "carol@example.com", "password", "not-her-password"));
    Http.Response unknown = anonymous.post("/api/auth/signin", Map.of("email", "nobody@example.com", "password", "not-her-password"));

    assertThat(wrong.status()).isEqualTo(401);
    assertThat(unknown.status()).isEqualTo(401);
    assertThat(wrong.json().path("detail").asString("")).isEqualTo(unknown.json().path("detail").asString(""))
        .isEqualTo("the email or password is wrong");
    assertThat(wrong.text()).doesNotContain("not-her-password");
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode log = admin.get("/api/v1/audit-logs?action=auth_failed&limit=100").json();
      assertThat(log.path("items").findValuesAsString("resource_id")).contains("/api/auth/signin");
    });
  }

  @Test
  void aSignedOutTokenIsRefusedForTheWorkspaceAndTheOtherSessionGoesOn() throws Exception {
    anonymous.post("/api/auth/signup", Map.of("email", "erin@example.com", "name", "Erin", "password", "erins-password"));
    String laptopToken = anonymous.post("/api/auth/signin", Map.of("email", "erin@example.com", "password", "erins-password"))
        .json().path("token").asString();
    Http laptop = bearer(laptopToken);
    Http phone = bearer(anonymous.post("/api/auth/signin", Map.of("email", "erin@example.com", "password", "erins-password"))
        .json().path("token").asString());
    assertThat(output(laptop.run("echo before"))).isEqualTo("before\n");

    // A terminal opened with the laptop's session, still open when it signs out.
    String erin = laptop.get("/api/auth/me").json().path("id").asString();
    String terminal = laptop.post("/api/terminals", Map.of()).json().path("id").asString();
    Socket socket = new Socket("ws://127.0.0.1:" + server.port() + "/api/terminals/" + terminal + "?user_id=" + erin);
    socket.text("{\"type\":\"auth\",\"token\":\"" + laptopToken + "\"}");
    socket.bytes("echo $((6*7))\n");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> socket.received().contains("42"));

    assertThat(laptop.post("/api/auth/signout", Map.of()).status()).isEqualTo(204);

    assertThat(socket.closeCode()).as("the open terminal is closed too (within a sweep)").isEqualTo(4001);
    assertThat(socket.closeReason).contains("signed out");
    assertThat(laptop.post("/execute?wait=5", Map.of("command", "echo after")).status()).isEqualTo(401);
    assertThat(laptop.get("/api/auth/me").status()).isEqualTo(401);
    assertThat(output(phone.run("echo still here"))).isEqualTo("still here\n");
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(admin.get("/api/v1/audit-logs?action=sign_out&limit=100").json().path("items").findValuesAsString("resource_id"))
            .contains(phone.get("/api/auth/me").json().path("id").asString()));

    assertThat(phone.post("/api/auth/signout?everywhere=true", Map.of()).status()).isEqualTo(204);
    assertThat(phone.post("/execute?wait=5", Map.of("command", "echo gone")).status()).isEqualTo(401);
  }

  @Test
  void signUpsAreCheckedAndAnEmailHasOneAccount() {
    assertThat(anonymous.post("/api/auth/signup", Map.of("email", "dave@example.com", "name", "Dave", "password", "short")).status())
        .isEqualTo(400);
    assertThat(anonymous.post("/api/auth/signup", Map.of("email", "no-at-sign", "name", "Dave", "password", "long-enough-pw")).status())
        .isEqualTo(400);
    assertThat(anonymous.post("/api/auth/signup", Map.of("email", "dave@example.com", "name", "Dave", "password", "long-enough-pw")).status())
        .isEqualTo(201);
    assertThat(anonymous.post("/api/auth/signup", Map.of("email", "DAVE@example.com", "name", "Dave", "password", "long-enough-pw")).status())
        .isEqualTo(409);
  }

  @Test
  void withSignUpClosedOnlyTheFirstAccountCanBeCreated() throws Exception {
    Path closedData = Files.createTempDirectory("sandcastle-accounts-closed");
    try (Orchestrator closed = OrchestratorTest.start(closedData, Map.of(Setting.ALLOW_SIGNUP, "false"))) {
      Http http = new Http("http://127.0.0.1:" + closed.port(), Map.of());
      Http.Response first = http.post("/api/auth/signup", Map.of("email", "root@example.com", "name", "Root", "password", "first-and-only"));
      assertThat(first.status()).isEqualTo(201);
      assertThat(first.json().path("account").path("role").asString()).isEqualTo("admin");
      assertThat(http.post("/api/auth/signup", Map.of("email", "late@example.com", "name", "Late", "password", "too-late-now")).status())
          .isEqualTo(403);
    } finally {
      deleteQuietly(closedData);
    }
  }
}
