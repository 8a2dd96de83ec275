package dev.sandcastle.api;

import static dev.sandcastle.api.TestServer.output;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Untrusted code doing its worst: the limits hold and the server keeps answering. */
@Tag("bwrap")
class AdversarialCommandsTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    ExecSettings exec = new ExecSettings(Duration.ZERO, Duration.ofHours(1), 500, 256, 64 * 1024, 1 << 20);
    server = new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(256L << 20, 64, 0), exec);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aForkBombStaysInsideThePidsLimitAndTheServerKeepsAnswering() {
    // The classic bomb: the command itself ends at once and leaves the bomb in its process group.
    String id = server.post("/execute?wait=5", Map.of("command", "bomb() { bomb | bomb & }; bomb")).json().path("id").asString();
    for (int i = 0; i < 5; i++) {
      assertThat(server.get("/health").status()).isEqualTo(200);
      assertThat(server.get("/execute/" + id + "/status").status()).isEqualTo(200);
    }
    TestServer.Response blocked = server.post("/execute", Map.of("command", "echo hi"));
    assertThat(blocked.status()).as("a new command while the bomb holds every pid: %s", blocked.text()).isIn(200, 429);
    assertThat(server.delete("/execute/" + id + "?force=true").status()).isEqualTo(200);
    // Once the bomb is gone the workspace works again.
    Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
      var response = server.post("/execute?wait=5", Map.of("command", "echo alive"));
      return response.status() == 200 && output(response.json()).equals("alive\n");
    });
  }

  @Test
  void aBombThatWaitsIsEndedByItsTimeout() {
    JsonNode view = server.post("/execute?wait=30", Map.of("command", "bomb() { bomb | bomb & }; bomb; sleep 60", "timeout", 3)).json();
    assertThat(view.path("status").asString()).isEqualTo("timed_out");
    Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
      var response = server.post("/execute?wait=5", Map.of("command", "echo alive"));
      return response.status() == 200 && output(response.json()).equals("alive\n");
    });
  }

  @Test
  void aMemoryBombEndsAsOom() {
    JsonNode view = server.run("python3 -c \"a=[]\nwhile True: a.append(' '*10**7)\"", 60);
    assertThat(view.path("status").asString()).isEqualTo("oom");
    assertThat(output(server.run("echo still here", 10))).isEqualTo("still here\n");
  }

  @Test
  void endlessOutputKeepsMemoryBoundedAndStaysKillable() throws Exception {
    String id = server.post("/execute", Map.of("command", "yes")).json().path("id").asString();
    Thread.sleep(3000);
    JsonNode view = server.get("/execute/" + id + "/status").json();
    assertThat(view.path("status").asString()).isEqualTo("running");
    int held = output(view).length();
    assertThat(held).isLessThanOrEqualTo(64 * 1024 + 65_536);
    assertThat(view.path("truncated").asBoolean()).isTrue();
    assertThat(view.path("next_offset").asLong()).isGreaterThan(view.path("output").size());
    assertThat(server.delete("/execute/" + id + "?force=true").status()).isEqualTo(200);
    assertThat(server.get("/execute/" + id + "/status").json().path("status").asString()).isEqualTo("killed");
    System.gc();
    Runtime rt = Runtime.getRuntime();
    assertThat(rt.totalMemory() - rt.freeMemory()).isLessThan(256L << 20);
  }
}
