package dev.sandcastle.core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.sandbox.Cgroup;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.sandbox.Supervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention: finished commands and their logs do not pile up (upstream never deleted them). */
class ExecServiceTest {
  @TempDir Path dir;
  Cgroup cgroup;
  Supervisor supervisor;

  @BeforeEach
  void start() throws Exception {
    Sandbox sandbox = new Sandbox(new SandboxPolicy(SandboxPolicy.Mechanism.NONE, SandboxPolicy.Network.HOST, Limits.none()),
        Files.createDirectories(dir.resolve("home")), dir.resolve("runtime"), dir.resolve("logs"), -1, -1);
    cgroup = Cgroups.detect().create("exec-test-" + ProcessHandle.current().pid(), Limits.none());
    supervisor = sandbox.start(cgroup, "exec-test");
  }

  @AfterEach
  void stop() {
    supervisor.close();
    cgroup.close();
  }

  private ExecService service(Duration retention, int maxFinished) {
    return new ExecService(() -> supervisor, cgroup::oomKills,
        new ExecSettings(Duration.ZERO, retention, maxFinished, 16, 1 << 16, 1 << 20), dir.resolve("logs"), dir.resolve("logs").toString());
  }

  private static ExecService.Start echo(String text) {
    return new ExecService.Start("echo " + text, List.of("/bin/sh", "-c", "echo " + text), "/", Map.of(), Duration.ZERO);
  }

  @Test
  void finishedCommandsAndTheirLogsGoAfterTheRetentionPeriod() throws Exception {
    try (ExecService exec = service(Duration.ZERO, 100)) {
      ExecutionView done = exec.start(echo("old"), Duration.ofSeconds(10), -1);
      assertThat(done.status()).isEqualTo("done");
      Path log = dir.resolve("logs").resolve(done.id() + ".log");
      assertThat(log).hasContent("old");
      ExecutionView running = exec.start(new ExecService.Start("sleep 5", List.of("/bin/sleep", "5"), "/", Map.of(), Duration.ZERO), Duration.ZERO, -1);
      exec.sweep();
      assertThat(exec.list()).extracting(ExecutionSummary::id).containsExactly(running.id());
      assertThat(log).doesNotExist();
      exec.kill(running.id(), true);
    }
  }

  @Test
  void atMostMaxFinishedAreKeptNewestFirst() throws Exception {
    try (ExecService exec = service(Duration.ofHours(1), 2)) {
      String first = exec.start(echo("1"), Duration.ofSeconds(10), -1).id();
      String second = exec.start(echo("2"), Duration.ofSeconds(10), -1).id();
      String third = exec.start(echo("3"), Duration.ofSeconds(10), -1).id();
      exec.sweep();
      assertThat(exec.list()).extracting(ExecutionSummary::id).containsExactlyInAnyOrder(second, third).doesNotContain(first);
    }
  }
}
