package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code sandcastle terminal --multi-user}: one container, many users, each X-User-Id its own
 * Linux account, and files written with that account's rights.
 */
@Tag("bwrap")
class MultiUserTerminalTest {
  static final String KEY = "terminal-key-0123456789abcdef";
  static Path data;
  static Path homes;
  static Orchestrator server;
  static Http api;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("sandcastle-multi");
    data.toFile().setExecutable(true, false);
    homes = data.resolve("homes");
    Files.createDirectories(homes);
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, KEY);
    settings.put(Setting.MULTI_USER, "true");
    settings.put(Setting.MULTI_USER_HOMES, homes.toString());
    server = Orchestrator.start(Config.load(settings, Map.of(), 8000), new PrintWriter(new StringWriter()), true);
    api = new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    // Remove the accounts the test made (their homes are under our temporary directory).
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] fields = line.split(":");
      if (fields.length > 5 && fields[5].startsWith(homes.toString())) {
        new ProcessBuilder("userdel", "-r", fields[0]).inheritIO().start().waitFor();
      }
    }
  }

  @Test
  void eachUserRunsAsTheirOwnAccountAndOwnsTheirFiles() throws Exception {
    Http alice = api.with("X-User-Id", "Alice@example.com");
    Http bob = api.with("X-User-Id", "alice@example.com"); // differs only in case: must not collide
    int aliceUid = Integer.parseInt(output(alice.run("id -u")).trim());
    int bobUid = Integer.parseInt(output(bob.run("id -u")).trim());
    assertThat(aliceUid).isNotEqualTo(bobUid);
    assertThat(output(alice.run("grep '^Seccomp:' /proc/self/status"))).as("under the system-call filter").isEqualTo("Seccomp:\t2\n");

    assertThat(alice.post("/files/write", Map.of("path", "note.txt", "content", "mine")).status()).isEqualTo(200);
    List<Path> aliceHome;
    try (var list = Files.list(homes)) {
      aliceHome = list.filter(home -> {
        try {
          return Files.exists(home.resolve("note.txt"));
        } catch (SecurityException e) {
          return false;
        }
      }).toList();
    }
    assertThat(aliceHome).hasSize(1);
    // Written by the API with alice's rights: hers without a chown, in a home only she can enter.
    assertThat(Files.getAttribute(aliceHome.get(0).resolve("note.txt"), "unix:uid")).isEqualTo(aliceUid);
    assertThat(Files.getAttribute(aliceHome.get(0), "unix:mode")).isEqualTo(040700);
    assertThat(bob.get("/files/read?path=note.txt").status()).isEqualTo(404);
    assertThat(api.get("/files/list").status()).as("no X-User-Id").isEqualTo(400);
  }
}
