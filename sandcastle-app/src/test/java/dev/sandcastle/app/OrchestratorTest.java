package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code sandcastle serve} as Open WebUI's orchestrator connection uses it: one workspace per
 * user, provisioned on first use, kept apart, stopped when idle, resumed with files intact.
 */
@Tag("bwrap")
class OrchestratorTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String SECRET = "open-webui-secret-0123456789abcdef";
  static Path data;
  static Orchestrator server;
  static Http anonymous;
  static Http admin;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("sandcastle-orchestrator");
    data.toFile().setExecutable(true, false);
    server = start(data, Map.of());
    anonymous = new Http("http://127.0.0.1:" + server.port(), Map.of());
    admin = anonymous.with("Authorization", "Bearer " + ADMIN_KEY);
  }

  static Orchestrator start(Path dataDir, Map<Setting, String> more) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, dataDir.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.put(Setting.WEBUI_SECRET_KEY, SECRET);
    settings.put(Setting.MEMORY, "512m");
    settings.put(Setting.PIDS, "256");
    settings.putAll(more);
    return Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
  }

  @AfterAll
  static void stop() {
    server.close();
    deleteTree(data);
  }

  /** Removes a data directory a test made, once its server is closed (its homes' images are large, if sparse). */
  static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // best effort: a temporary directory
    }
  }

  /** A new data directory that the workspaces' uids may pass through. */
  static Path newDataDir(String prefix) throws java.io.IOException {
    Path dir = Files.createTempDirectory(prefix);
    dir.toFile().setExecutable(true, false);
    return dir;
  }

  /** A client of the server that sends the admin key (add X-User-Id to act for a user). */
  static Http adminOf(Orchestrator server) {
    return new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
  }

  static Http user(String id) {
    return anonymous.with("Authorization", "Bearer " + Tokens.openWebUi(SECRET, id, Instant.now().plusSeconds(600)))
        .with("X-User-Id", id);
  }

  @Test
  void openWebUisOrchestratorConnectionGetsTheToolsAndRunsCommandsPerUser() {
    Http.Response spec = anonymous.get("/openapi.json");
    assertThat(spec.status()).isEqualTo(200);
    assertThat(spec.json().path("paths").has("/execute")).isTrue();
    assertThat(anonymous.get("/p/default/openapi.json").status()).isEqualTo(200);

    Http alice = user("alice");
    Http bob = user("bob");
    assertThat(output(alice.run("whoami; echo $HOME"))).isEqualTo("user\n/home/user\n");
    assertThat(output(bob.run("echo hi from bob"))).isEqualTo("hi from bob\n");
    // The service form: the admin key acting for a user.
    Http service = admin.with("X-User-Id", "alice");
    assertThat(output(service.run("echo via service"))).isEqualTo("via service\n");
    // Every prefix reaches the same tenant.
    alice.run("echo shared > prefixes.txt");
    assertThat(alice.get("/terminals/files/read?path=prefixes.txt").json().path("content").asString()).isEqualTo("shared\n");
    assertThat(alice.get("/p/default/files/read?path=prefixes.txt").json().path("content").asString()).isEqualTo("shared\n");
  }

  @Test
  void theAdminApiIsDocumentedInTheFullDocumentAndNeverOfferedAsATool() {
    JsonNode full = admin.get("/openapi.full.json").json();
    String[][] routes = {{"get", "/api/v1/status"}, {"get", "/api/v1/terminals"}, {"post", "/api/v1/terminals/stop"},
        {"post", "/api/v1/terminals/refresh"}, {"get", "/api/v1/tenants"}, {"post", "/api/v1/tenants"},
        {"get", "/api/v1/tenants/{id}"}, {"delete", "/api/v1/tenants/{id}"}, {"post", "/api/v1/tenants/{id}/start"},
        {"post", "/api/v1/tenants/{id}/stop"}, {"post", "/api/v1/tenants/{id}/reset"}, {"get", "/api/v1/policies"},
        {"post", "/api/v1/policies"}, {"get", "/api/v1/policies/{id}"}, {"put", "/api/v1/policies/{id}"},
        {"delete", "/api/v1/policies/{id}"}, {"get", "/api/v1/audit-logs"}, {"get", "/metrics"}, {"get", "/api/v1/accounts"},
        {"post", "/api/v1/accounts/{id}/signout"}};
    for (String[] route : routes) {
      JsonNode operation = full.path("paths").path(route[1]).path(route[0]);
      assertThat(operation.path("tags").get(0).asString()).as(route[0] + " " + route[1]).isEqualTo("admin");
    }
    String tools = anonymous.get("/openapi.json").text();
    assertThat(tools).doesNotContain("/api/v1/").contains("/execute");
  }

  @Test
  void twoUsersCannotSeeEachOthersFilesProcessesOrTmp() {
    Http carol = user("carol");
    Http dave = user("dave");
    carol.run("echo carol-secret > secret.txt; echo carol-tmp > /tmp/mark; (sleep 300 &) ; true");
    assertThat(output(carol.run("cat /tmp/mark"))).isEqualTo("carol-tmp\n"); // /tmp is shared within a workspace
    dave.run("echo dave-here > mine.txt");

    // Not through the API...
    assertThat(dave.get("/files/read?path=secret.txt").status()).isEqualTo(404);
    assertThat(dave.get("/files/list?directory=.").text()).doesNotContain("secret.txt");
    assertThat(dave.get("/files/read?path=../../../homes").status()).isIn(403, 404);
    // ...nor from inside the sandbox.
    String seen = output(dave.run("ls -a ~ /home; cat /tmp/mark 2>&1; ps -eo pid,user,cmd; find / -name 'secr*' 2>/dev/null; true"));
    assertThat(seen).contains("mine.txt").doesNotContain("secret.txt").doesNotContain("carol-tmp").doesNotContain("sleep 300");
    String carolsSleep = output(carol.run("pgrep -x sleep | head -1")).trim();
    assertThat(carolsSleep).isNotEmpty();
    // Pids are per sandbox: the same number in dave's sandbox is not carol's process.
    dave.run("kill -9 " + carolsSleep + " 2>/dev/null; true");
    assertThat(output(carol.run("pgrep -x sleep >/dev/null && echo alive"))).isEqualTo("alive\n");
    // A token for carol cannot be used for dave's workspace.
    Http forged = dave.with("Authorization", "Bearer " + Tokens.openWebUi(SECRET, "carol", Instant.now().plusSeconds(600)));
    assertThat(forged.get("/files/list?directory=.").status()).isEqualTo(403);
  }

  @Test
  void jwtAttacksFailAndAreAudited() {
    Map<String, Http> attacks = new HashMap<>();
    attacks.put("alg none", anonymous.with("Authorization", "Bearer " + Tokens.unsigned("mallory")).with("X-User-Id", "mallory"));
    attacks.put("wrong secret", anonymous.with("Authorization", "Bearer "
        + Tokens.openWebUi("not-the-secret-0123456789abcdefgh", "mallory", Instant.now().plusSeconds(600))).with("X-User-Id", "mallory"));
    attacks.put("expired", anonymous.with("Authorization", "Bearer "
        + Tokens.openWebUi(SECRET, "mallory", Instant.now().minusSeconds(600))).with("X-User-Id", "mallory"));
    attacks.put("no token", anonymous.with("X-User-Id", "mallory"));
    for (var attack : attacks.entrySet()) {
      assertThat(attack.getValue().post("/execute", Map.of("command", "id")).status()).as(attack.getKey()).isEqualTo(401);
    }
    Http mismatch = anonymous.with("Authorization", "Bearer " + Tokens.openWebUi(SECRET, "mallory", Instant.now().plusSeconds(600)))
        .with("X-User-Id", "victim");
    assertThat(mismatch.post("/execute", Map.of("command", "id")).status()).isEqualTo(403);
    // A user token is no admin key, whatever the spelling of the path.
    assertThat(user("mallory").get("/api/v1/tenants").status()).isEqualTo(403);
    assertThat(user("mallory").get("/metrics/").status()).isEqualTo(403);
    assertThat(user("mallory").get("/terminals/api/v1/audit-logs").status()).isEqualTo(403);
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode log = admin.get("/api/v1/audit-logs?action=auth_failed&limit=100").json();
      assertThat(log.path("total").asLong()).isGreaterThanOrEqualTo(5);
      assertThat(log.path("items").get(0).path("severity").asString()).isEqualTo("critical");
    });
    // No workspace was provisioned for the attackers.
    assertThat(admin.get("/api/v1/tenants").text()).doesNotContain("\"victim\"");
  }

  @Test
  void badPolicyOrContextIsAClearError() {
    Http erin = user("erin");
    assertThat(erin.get("/p/no-such-policy/files/list").status()).isEqualTo(404);
    assertThat(erin.with("X-Terminal-Context-Id", "x".repeat(300)).get("/files/list").status()).isEqualTo(400);
    assertThat(anonymous.with("Authorization", "Bearer " + ADMIN_KEY).get("/files/list").status()).isEqualTo(400);
  }

  @Test
  void contextsAreSeparateWorkspacesOfOneUser() {
    Http frank = user("frank");
    frank.with("X-Terminal-Context-Id", "project-a").run("echo a > only-a.txt");
    assertThat(frank.with("X-Terminal-Context-Id", "project-b").get("/files/read?path=only-a.txt").status()).isEqualTo(404);
    assertThat(frank.with("X-Terminal-Context-Id", "project-a").get("/files/read?path=only-a.txt").status()).isEqualTo(200);
  }

  @Test
  void theAdminApiListsStopsAndStartsTenants() {
    Http grace = user("grace");
    grace.run("echo kept > kept.txt");
    JsonNode tenants = admin.get("/api/v1/tenants").json();
    JsonNode mine = null;
    for (JsonNode tenant : tenants) {
      if (tenant.path("user_id").asString().equals("grace")) {
        mine = tenant;
      }
    }
    assertThat(mine).isNotNull();
    assertThat(mine.path("status").asString()).isEqualTo("running");
    String id = mine.path("id").asString();
    assertThat(admin.post("/api/v1/tenants/" + id + "/stop", Map.of()).json().path("status").asString()).isEqualTo("stopped");
    JsonNode status = admin.get("/api/v1/status").json();
    assertThat(status.path("tenants").path("stopped").asLong()).isGreaterThanOrEqualTo(1);
    // As root with loop devices, homes are file systems of their policy's size (StorageLimitTest); else they grow freely.
    boolean volumes = dev.sandcastle.core.sandbox.Sandbox.currentUid() == 0 && Files.exists(Path.of("/dev/loop-control"));
    assertThat(status.path("storage_limits").asString()).isEqualTo(volumes ? "enforced" : "not_enforced");
    // The next request resumes it, files intact.
    assertThat(grace.get("/files/read?path=kept.txt").json().path("content").asString()).isEqualTo("kept\n");
    assertThat(admin.get("/api/v1/tenants/" + id).json().path("status").asString()).isEqualTo("running");
    assertThat(admin.get("/metrics").text()).contains("sandcastle_tenants").contains("sandcastle_tenant_provisioning_seconds");
    assertThat(admin.get("/api/v1/audit-logs?action=admin_action").json().path("total").asLong()).isGreaterThanOrEqualTo(1);
    // A reset wipes the files; the next request gets a fresh, empty workspace.
    assertThat(admin.post("/api/v1/tenants/" + id + "/reset", Map.of()).status()).isEqualTo(200);
    assertThat(grace.get("/files/read?path=kept.txt").status()).isEqualTo(404);
    assertThat(output(grace.run("ls -A ~ | wc -l")).trim()).isEqualTo("0");
  }

  @Test
  void oneUserCannotProvisionWorkspacesWithoutBound() {
    Http mike = user("mike");
    for (int i = 0; i < 16; i++) {
      assertThat(mike.with("X-Terminal-Context-Id", "ctx-" + i).get("/files/list").status()).isEqualTo(200);
    }
    Http.Response refused = mike.with("X-Terminal-Context-Id", "one-too-many").get("/files/list");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.json().path("detail").asString()).contains("limit");
    assertThat(mike.with("X-Terminal-Context-Id", "ctx-3").get("/files/list").status()).isEqualTo(200); // existing ones still work
  }

  @Test
  void terminalSocketsAuthenticateWithTheUsersTokenAndRefuseWithTheSpecsCodes() throws Exception {
    Http judy = user("judy");
    String id = judy.post("/api/terminals", Map.of()).json().path("id").asString();
    String ws = "ws://127.0.0.1:" + server.port();
    String token = Tokens.openWebUi(SECRET, "judy", Instant.now().plusSeconds(600));

    Socket socket = new Socket(ws + "/api/terminals/" + id + "?user_id=judy");
    socket.text("{\"type\":\"auth\",\"token\":\"" + token + "\"}");
    socket.bytes("echo $((6*7))\n");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> socket.received().contains("42"));
    assertThat(admin.get("/api/v1/status").json().path("active_websockets").asInt()).isEqualTo(1);
    socket.socket.sendClose(1000, "bye").join();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/api/v1/status").json().path("active_websockets").asInt() == 0);

    // The token names its user, as on REST: no user_id needed. The admin key needs one.
    Socket byToken = new Socket(ws + "/api/terminals/" + id);
    byToken.text("{\"type\":\"auth\",\"token\":\"" + token + "\"}");
    byToken.bytes("echo $((6*8))\n");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> byToken.received().contains("48"));
    byToken.socket.sendClose(1000, "bye").join();
    Socket noUser = new Socket(ws + "/api/terminals/" + id);
    noUser.text("{\"type\":\"auth\",\"token\":\"" + ADMIN_KEY + "\"}");
    assertThat(noUser.closeCode()).isEqualTo(4002);
    Socket badToken = new Socket(ws + "/terminals/api/terminals/" + id + "?user_id=judy");
    badToken.text("{\"type\":\"auth\",\"token\":\"" + Tokens.unsigned("judy") + "\"}");
    assertThat(badToken.closeCode()).isEqualTo(4001);
    Socket otherUser = new Socket(ws + "/api/terminals/" + id + "?user_id=judy");
    otherUser.text("{\"type\":\"auth\",\"token\":\"" + Tokens.openWebUi(SECRET, "kim", Instant.now().plusSeconds(600)) + "\"}");
    assertThat(otherUser.closeCode()).isEqualTo(4003);
    Socket badPolicy = new Socket(ws + "/p/nope/api/terminals/" + id + "?user_id=judy");
    badPolicy.text("{\"type\":\"auth\",\"token\":\"" + token + "\"}");
    assertThat(badPolicy.closeCode()).isEqualTo(4004);
    // Another user's terminal id is just unknown in one's own workspace.
    Socket elsewhere = new Socket(ws + "/api/terminals/" + id + "?user_id=kim");
    elsewhere.text("{\"type\":\"auth\",\"token\":\"" + Tokens.openWebUi(SECRET, "kim", Instant.now().plusSeconds(600)) + "\"}");
    assertThat(elsewhere.closeCode()).isEqualTo(4004);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/api/v1/status").json().path("active_websockets").asInt() == 0);
    JsonNode connects = admin.get("/api/v1/audit-logs?action=ws_connect&user_id=judy").json();
    assertThat(connects.path("total").asLong()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void anIdleWorkspaceStopsAndTheNextRequestResumesItWithItsFiles() throws Exception {
    Path dir = Files.createTempDirectory("sandcastle-idle");
    dir.toFile().setExecutable(true, false);
    try (Orchestrator idle = start(dir, Map.of(Setting.IDLE_TIMEOUT, "1", Setting.SWEEP_INTERVAL, "1"))) {
      Http heidi = new Http("http://127.0.0.1:" + idle.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "heidi"));
      heidi.run("echo survives > note.txt; (sleep 600 &); true");
      // A request longer than the idle timeout keeps its workspace running until it is answered.
      assertThat(output(heidi.run("sleep 4; echo still running"))).isEqualTo("still running\n");
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() ->
          idle.tenants().list().stream().anyMatch(v -> v.tenant().key().userId().equals("heidi")
              && v.tenant().status() == dev.sandcastle.orchestrator.tenant.TenantStatus.STOPPED));
      assertThat(output(heidi.run("cat note.txt; pgrep -x sleep || echo no-processes"))).isEqualTo("survives\nno-processes\n");
    }
  }
}
