package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The data directory is the server's (issue 13): another local account ({@code nobody}, through
 * {@code setpriv}) can read neither the database, nor a tenant's command logs, nor files an older
 * version left world-readable; the tenant itself still reads its own command log in its sandbox.
 */
@Tag("bwrap")
class PrivateDataTest {
  static final String MARKER = "private-" + UUID.randomUUID();
  static Path data;
  static Orchestrator server;
  static Http alice;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Sandbox.currentUid()).as("switching to another uid needs root").isZero();
    data = OrchestratorTest.newDataDir("sandcastle-private");
    // Left world-readable, as an older version did: a file of the server and a tenant's command log.
    var worldReadable = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"));
    Files.createFile(data.resolve("notes.txt"), worldReadable);
    Files.writeString(data.resolve("notes.txt"), MARKER);
    Files.createDirectories(data.resolve("state/t1/logs"));
    data.resolve("state").toFile().setExecutable(true, false);
    Files.createFile(data.resolve("state/t1/logs/old.log"), worldReadable);
    Files.writeString(data.resolve("state/t1/logs/old.log"), MARKER);
    server = OrchestratorTest.start(data, Map.of(Setting.WARM_POOL, "0"));
    alice = OrchestratorTest.adminOf(server).with("X-User-Id", "alice");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** What {@code nobody} gets from running the command; the exit code first. */
  private static String asNobody(String... command) throws Exception {
    List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
    argv.addAll(List.of(command));
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return process.exitValue() + " " + out;
  }

  @Test
  void anotherLocalAccountReadsNothingOfTheDataDirectory() throws Exception {
    JsonNode run = alice.post("/execute?wait=30", Map.of("command", "echo " + MARKER)).json();
    assertThat(output(run)).isEqualTo(MARKER + "\n");
    String logPath = run.path("log_path").asString();
    Path hostLog = data.resolve("state/t1/logs").resolve(Path.of(logPath).getFileName());
    assertThat(Files.readString(hostLog)).contains(MARKER);
    Path database = data.resolve("sandcastle.mv.db");
    assertThat(database).exists();

    for (Path file : List.of(database, data.resolve("notes.txt"), data.resolve("state/t1/logs/old.log"), hostLog,
        data.resolve("state/t1/runtime/passwd"))) {
      String seen = asNobody("cat", file.toString());
      assertThat(seen).as(file.toString()).doesNotContain(MARKER).startsWith("1 ").contains("Permission denied");
    }
    assertThat(asNobody("ls", data.toString())).startsWith("2 ").contains("Permission denied");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(database))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("notes.txt")))).isEqualTo("rw-------");

    // The tenant reads its own command log where the API says it is.
    assertThat(output(alice.run("cat " + logPath))).contains(MARKER);
  }
}
