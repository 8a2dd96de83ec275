package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code sandcastle keys rotate}: a new active master key, old ones kept, the server starts on it. */
@Tag("bwrap")
class KeysRotateTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";

  @Test
  void rotationAddsAnActiveKeyAndRefusesWhileTheServerRuns() throws Exception {
    Path data = Files.createTempDirectory("sandcastle-keys");
    data.toFile().setExecutable(true, false);
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    String[] rotate = {"keys", "rotate", "--data-dir", data.toString(), "--api-key", ADMIN_KEY};
    try (Orchestrator running = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
      StringWriter err = new StringWriter();
      int refused = Main.run(rotate, new PrintWriter(new StringWriter()), new PrintWriter(err));
      assertThat(refused).isNotZero();
      assertThat(err.toString()).contains("another Sandcastle server");
    }
    assertThat(Files.readAllLines(data.resolve("master.key"))).hasSize(1);
    StringWriter out = new StringWriter();
    assertThat(Main.run(rotate, new PrintWriter(out), new PrintWriter(new StringWriter()))).isZero();
    assertThat(out.toString()).contains("is active").contains("workspace keys re-encrypted");
    assertThat(Files.readAllLines(data.resolve("master.key"))).hasSize(2);
    assertThat(Files.getPosixFilePermissions(data.resolve("master.key"))).hasSize(2); // rw for the owner only
    try (Orchestrator again = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
      Http admin = new Http("http://127.0.0.1:" + again.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
      assertThat(admin.get("/api/v1/status").status()).isEqualTo(200);
    }
  }
}
