package dev.sandcastle.orchestrator.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The embedded database keeps every commit when the server process is killed (SIGKILL) right after it. */
class H2DurabilityTest {

  /** Run in a child JVM: commits one row, says so, then waits to be killed. */
  public static void main(String[] args) throws Exception {
    Database db = Database.open(Database.h2Url(Path.of(args[0])), "sa", "");
    db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO policies (id, cpus, memory_bytes, storage_bytes, pids,"
        + " idle_timeout_seconds, network) VALUES (:id, 1.0, 1, 1, 1, 60, 'none')").bind("id", args[1]).execute());
    System.out.println("committed");
    System.out.flush();
    Thread.sleep(60_000);
  }

  @Test
  @Timeout(60)
  void aCommitSurvivesKillingTheProcess(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        H2DurabilityTest.class.getName(), dir.toString(), "survivor"))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).isEqualTo("committed");
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    try (Database db = Database.open(Database.h2Url(dir), "sa", "")) {
      List<String> ids = db.jdbi().withHandle(h -> h.createQuery("SELECT id FROM policies").mapTo(String.class).list());
      assertThat(ids).containsExactly("survivor");
    }
  }
}
