package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A policy's container runtime through the admin API: saved, read back and listed when
 * {@code --allowed-runtimes} allows it, a 400 that says why when not. (The static backend: no
 * workspace is started, so no engine or sandbox is needed.)
 */
class PolicyRuntimeTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static Path data;
  static Orchestrator server;
  static Http admin;

  static Map<Setting, String> settings(Path dataDir) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, dataDir.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.put(Setting.BACKEND, "static");
    settings.put(Setting.STATIC_URL, "http://127.0.0.1:9"); // never called: no workspace starts here
    settings.put(Setting.ALLOWED_RUNTIMES, "runsc, kata");
    return settings;
  }

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("sandcastle-runtime");
    server = Orchestrator.start(Config.load(settings(data), Map.of(), 8080), new PrintWriter(new StringWriter()), false);
    admin = new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static Map<String, Object> policy(String id, String runtime) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("runtime", runtime);
    body.put("memory_bytes", 256L << 20);
    return body;
  }

  @Test
  void anAllowedRuntimeIsSavedReadBackAndListed() {
    Http.Response created = admin.post("/api/v1/policies", policy("sandboxed", "runsc"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    assertThat(created.json().path("runtime").asString()).isEqualTo("runsc");

    assertThat(admin.get("/api/v1/policies/sandboxed").json().path("runtime").asString()).isEqualTo("runsc");
    JsonNode listed = admin.get("/api/v1/policies").json();
    assertThat(listed.findValues("id").stream().map(JsonNode::asString)).contains("sandboxed", "default");
    for (JsonNode p : listed) {
      assertThat(p.path("runtime").asString()).isEqualTo(p.path("id").asString().equals("sandboxed") ? "runsc" : "");
    }

    // PUT replaces it: another allowed one, then none (the server's default).
    Http.Response changed = admin.put("/api/v1/policies/sandboxed", policy("sandboxed", "kata"));
    assertThat(changed.status()).as(changed.text()).isEqualTo(200);
    assertThat(admin.get("/api/v1/policies/sandboxed").json().path("runtime").asString()).isEqualTo("kata");
    Map<String, Object> none = policy("sandboxed", "");
    none.remove("runtime");
    assertThat(admin.put("/api/v1/policies/sandboxed", none).json().path("runtime").asString()).isEmpty();
    assertThat(admin.get("/api/v1/policies/sandboxed").json().path("runtime").asString()).isEmpty();
  }

  @Test
  void aRuntimeNotAllowedIsA400ThatSaysWhichAreAndChangesNothing() {
    assertThat(admin.post("/api/v1/policies", policy("careful", "runsc")).status()).isEqualTo(201);

    Http.Response refused = admin.put("/api/v1/policies/careful", policy("careful", "runc"));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.text()).contains("runtime 'runc' is not allowed on this server (allowed: kata, runsc, or empty for the server's default)")
        .doesNotContain("Exception").doesNotContain("at dev.");
    assertThat(admin.get("/api/v1/policies/careful").json().path("runtime").asString()).isEqualTo("runsc");

    Http.Response created = admin.post("/api/v1/policies", policy("other", "io.containerd.kata.v2"));
    assertThat(created.status()).isEqualTo(400);
    assertThat(admin.get("/api/v1/policies/other").status()).isEqualTo(404);
  }

  @Test
  void aMalformedRuntimeIsA400ThatSaysWhatARuntimeIs() {
    for (String runtime : new String[] {"RUNSC", "--runtime=runc", "/usr/bin/runsc", "runsc;reboot", "x".repeat(64)}) {
      Http.Response refused = admin.post("/api/v1/policies", policy("odd", runtime));
      assertThat(refused.status()).as(runtime).isEqualTo(400);
      assertThat(refused.text()).as(runtime).contains("runtime is empty (the server's default) or 1-63 of lower-case letters");
    }
    assertThat(admin.get("/api/v1/policies/odd").status()).isEqualTo(404);
  }

  @Test
  void theBackendsOwnDefaultRuntimeIsAlwaysAllowed() {
    Config docker = Config.load(Map.of(Setting.BACKEND, "docker", Setting.DOCKER_RUNTIME, "runsc"), Map.of(), 8080);
    assertThat(Orchestrator.allowedRuntimes(docker, false)).containsExactly("runsc");
    Config kubernetes = Config.load(Map.of(Setting.BACKEND, "operator", Setting.KUBERNETES_RUNTIME_CLASS, "gvisor",
        Setting.ALLOWED_RUNTIMES, "kata"), Map.of(), 8080);
    assertThat(Orchestrator.allowedRuntimes(kubernetes, false)).containsExactlyInAnyOrder("gvisor", "kata");
    // The docker runtime is not the kubernetes backends' default, nor the other way round.
    assertThat(Orchestrator.allowedRuntimes(Config.load(Map.of(Setting.BACKEND, "kubernetes", Setting.DOCKER_RUNTIME, "runsc"),
        Map.of(), 8080), false)).isEmpty();
    assertThat(Orchestrator.allowedRuntimes(Config.load(Map.of(Setting.BACKEND, "local"), Map.of(), 8080), false)).isEqualTo(Set.of());
  }

  @Test
  void aStoredPolicyWhoseRuntimeIsNoLongerAllowedRunsNoTenantUntilAnAdminChangesIt() throws Exception {
    Path dir = Files.createTempDirectory("sandcastle-runtime-restart");
    Map<Setting, String> settings = settings(dir);
    try (Orchestrator first = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
      Http http = new Http("http://127.0.0.1:" + first.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
      assertThat(http.post("/api/v1/policies", policy("sandboxed", "kata")).status()).isEqualTo(201);
    }

    settings.put(Setting.ALLOWED_RUNTIMES, "runsc");
    try (Orchestrator restarted = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
      String base = "http://127.0.0.1:" + restarted.port();
      Http admin = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY));
      Http user = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "uma"));
      Http.Response refused = user.get("/p/sandboxed/files/list?directory=.");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.text()).contains("the policy 'sandboxed' names the runtime 'kata', which this server does not allow")
          .contains("--allowed-runtimes");
      assertThat(admin.get("/api/v1/policies/sandboxed").json().path("runtime").asString()).as("the admin still sees it").isEqualTo("kata");
      assertThat(admin.put("/api/v1/policies/sandboxed", policy("sandboxed", "runsc")).status()).isEqualTo(200);
      assertThat(admin.get("/api/v1/policies/sandboxed").json().path("runtime").asString()).isEqualTo("runsc");
    }
  }

}
