package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Kernels stop when idle, restart on request, and are limited in number. */
@Tag("bwrap")
class KernelLifecycleTest {
  @Test
  void idleKernelsStopAndRestartDropsState() {
    KernelSettings kernels = new KernelSettings(2, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(1));
    try (TestServer server = new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(512L << 20, 128, 0),
        ExecSettings.defaults(), FileLimits.defaults(), kernels)) {
      String id = server.post("/api/kernels", Map.of()).json().path("id").asString();
      server.post("/execute_code", Map.of("code", "kept = 1", "session_id", "s1"));
      assertThat(server.post("/execute_code", Map.of("code", "1", "session_id", "s2")).status()).isEqualTo(429);

      // Restart over the Jupyter API: a fresh kernel under the same id.
      TestServer.Response restarted = server.send(server.request("/api/kernels/" + id + "/restart")
          .POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(restarted.json().path("id").asString()).as(restarted.text()).isEqualTo(id);

      Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
          .until(() -> server.get("/api/kernels").json().isEmpty());
      var next = server.post("/execute_code", Map.of("code", "'kept' in globals()", "session_id", "s1")).json();
      assertThat(next.path("result").asString()).isEqualTo("False");
    }
  }
}
