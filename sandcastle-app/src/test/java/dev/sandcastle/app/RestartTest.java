package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.EnumMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A restart keeps tenants, keys and the audit log, and leaves no process of a workspace behind. */
@Tag("bwrap")
class RestartTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";

  @Test
  void onTheEmbeddedDatabase() throws Exception {
    restartKeepsEverything(Map.of());
  }

  @Test
  @Tag("postgres")
  void onPostgresql() throws Exception {
    String schema = "restart_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100_000;
    try (var db = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test?user=postgres")) {
      db.createStatement().execute("CREATE SCHEMA " + schema);
    }
    try {
      restartKeepsEverything(Map.of(Setting.DATABASE_URL, "jdbc:postgresql://127.0.0.1:5432/test?currentSchema=" + schema,
          Setting.DATABASE_USER, "postgres"));
    } finally {
      try (var db = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test?user=postgres")) {
        db.createStatement().execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  private void restartKeepsEverything(Map<Setting, String> more) throws Exception {
    Path data = Files.createTempDirectory("sandcastle-restart");
    data.toFile().setExecutable(true, false);
    String tenantId;
    long audited;
    String masterKey;
    try (Orchestrator first = start(data, more)) {
      Http ivan = client(first).with("X-User-Id", "ivan");
      ivan.run("echo persisted > file.txt; (sleep 700 &); true");
      JsonNode tenants = client(first).get("/api/v1/tenants").json();
      tenantId = tenants.get(0).path("id").asString();
      audited = Awaitility.await().until(() -> client(first).get("/api/v1/audit-logs").json().path("total").asLong(), n -> n >= 3);
      masterKey = Files.readString(data.resolve("master.key"));
    }
    // The workspace's processes are gone with the server.
    assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("sleep 700")).count()).isZero();

    // A crashed run may have given out a spare sandbox's home that the database never recorded:
    // whatever is in the homes above the recorded slots must not reach a new tenant.
    try (var homes = Files.list(data.resolve("homes"))) {
      for (Path home : homes.toList()) {
        Files.writeString(home.resolve("planted-by-a-previous-run"), "secret");
      }
    }
    int highest = Files.list(data.resolve("homes")).mapToInt(h -> Integer.parseInt(h.getFileName().toString().substring(1))).max().orElseThrow();
    Files.createDirectories(data.resolve("homes/t" + (highest + 1)));
    Files.writeString(data.resolve("homes/t" + (highest + 1) + "/planted-by-a-previous-run"), "secret");

    try (Orchestrator second = start(data, more)) {
      JsonNode tenants = client(second).get("/api/v1/tenants").json();
      assertThat(tenants.size()).isEqualTo(1);
      assertThat(tenants.get(0).path("id").asString()).isEqualTo(tenantId);
      assertThat(tenants.get(0).path("status").asString()).isEqualTo("stopped");
      assertThat(client(second).get("/api/v1/audit-logs").json().path("total").asLong()).isGreaterThanOrEqualTo(audited);
      assertThat(Files.readString(data.resolve("master.key"))).isEqualTo(masterKey);
      Http ivan = client(second).with("X-User-Id", "ivan");
      assertThat(output(ivan.run("cat file.txt"))).isEqualTo("persisted\n");
      Http newcomer = client(second).with("X-User-Id", "newcomer");
      assertThat(output(newcomer.run("ls -A ~"))).isEmpty();
    }
    assertThat(StorageLimitTest.mountsUnder(data)).as("no home stays mounted, a warm spare's neither").isEmpty();
    OrchestratorTest.deleteTree(data);
  }

  private static Http client(Orchestrator server) {
    return new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
  }

  private static Orchestrator start(Path dataDir, Map<Setting, String> more) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, dataDir.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.putAll(more);
    return Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
  }
}
