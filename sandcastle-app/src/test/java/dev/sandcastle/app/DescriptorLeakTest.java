package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Nothing of the server reaches a workspace through a descriptor or the environment: a real
 * {@code sandcastle serve} in its own JVM, its stdout and stderr sent to files that start with a
 * marker line and its environment holding another marker; from inside a workspace a probe reads
 * every {@code /proc/PID/fd/*} and {@code /proc/PID/environ} it can see and takes every
 * descriptor of every pid it can with {@code pidfd_getfd}. (Issue 13: bwrap's pid 1 held the
 * server's own stderr.)
 */
@Tag("bwrap")
class DescriptorLeakTest {
  private static final String MARKER = "server-secret-" + UUID.randomUUID();
  private static final String ENV_MARKER = "env-secret-" + UUID.randomUUID();
  private static Path dir;
  private static Process server;
  private static Http api;

  /** Runs as the workspace's user: prints one line per descriptor it could reach, and LEAK lines. */
  private static final String PROBE = """
      import ctypes, os, sys
      # The report goes to a file: reading a pipe through /proc/PID/fd opens it for reading, and
      # the probe's own stdout is such a pipe.
      sys.stdout = open("report.txt", "w")
      MARKERS = [m.encode() for m in sys.argv[1:]]
      libc = ctypes.CDLL(None, use_errno=True)
      SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
      def scan(label, data):
          for m in MARKERS:
              if m in data:
                  print("LEAK", label, flush=True)
      def read_fd(path):
          try:
              fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
          except OSError:
              return b""
          try:
              return os.pread(fd, 1 << 20, 0)
          except OSError:
              try:
                  return os.read(fd, 1 << 20)
              except OSError:
                  return b""
          finally:
              os.close(fd)
      def visible_here(target, path):
          # A path is the sandbox's own when the very same file is found at that path inside it.
          try:
              a, b = os.stat(target), os.stat(path)
              return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
          except OSError:
              return False
      me = os.getpid()
      for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
          try:
              scan("environ of %d" % pid, open("/proc/%d/environ" % pid, "rb").read())
          except OSError:
              pass
          try:
              fds = os.listdir("/proc/%d/fd" % pid)
          except OSError:
              fds = []
          for fd in fds:
              path = "/proc/%d/fd/%s" % (pid, fd)
              try:
                  target = os.readlink(path)
              except OSError:
                  continue
              print("FD", pid, fd, target, flush=True)
              if target.startswith("/") and not visible_here(target, path):
                  print("LEAK foreign file", pid, fd, target, flush=True)
              scan("fd %s of %d (%s)" % (fd, pid, target), read_fd(path))
          if pid == me:
              continue
          pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
          if pidfd < 0:
              continue
          for fd in range(64):
              got = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
              if got < 0:
                  continue
              target = os.readlink("/proc/self/fd/%d" % got)
              print("GETFD", pid, fd, target, flush=True)
              if target.startswith("/") and not visible_here(target, "/proc/self/fd/%d" % got):
                  print("LEAK foreign file via pidfd_getfd", pid, fd, target, flush=True)
              scan("pidfd_getfd %d of %d" % (fd, pid), read_fd("/proc/self/fd/%d" % got))
              os.close(got)
          os.close(pidfd)
      print("DONE", flush=True)
      """;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("sandcastle-fdleak");
    dir.toFile().setExecutable(true, false);
    Path out = dir.resolve("server-stdout.log");
    Path err = dir.resolve("server-stderr.log");
    Files.writeString(out, MARKER + " stdout\n");
    Files.writeString(err, MARKER + " stderr\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
        "--port", "0", "--data-dir", dir.resolve("data").toString(), "--warm-pool", "0")
        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
        .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    builder.environment().put("SANDCASTLE_TEST_MARKER", ENV_MARKER);
    server = builder.start();
    Pattern listening = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)");
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (api == null) {
      assertThat(server.isAlive()).as("the server runs; its log: %s", Files.readString(err)).isTrue();
      assertThat(Instant.now()).as("the server starts within a minute").isBefore(deadline);
      Matcher found = listening.matcher(Files.readString(out) + Files.readString(err));
      if (found.find()) {
        String key = Files.readString(dir.resolve("data/api-key")).trim();
        api = new Http("http://127.0.0.1:" + found.group(1), Map.of("Authorization", "Bearer " + key));
      } else {
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor();
    }
  }

  @Test
  void noDescriptorOrEnvironmentOfTheServerReachesAWorkspace() throws Exception {
    Http alice = api.with("X-User-Id", "alice");
    assertThat(alice.post("/files/write", Map.of("path", "probe.py", "content", PROBE)).status()).isEqualTo(200);
    // A kernel and a terminal too, so that their processes' descriptors are in the scan.
    assertThat(alice.post("/execute_code", Map.of("code", "1 + 1")).status()).isEqualTo(200);
    alice.post("/execute", Map.of("command", "sleep 60 </dev/null >/dev/null 2>&1 &"));
    String report = output(alice.run("python3 probe.py " + MARKER + " " + ENV_MARKER + " 2>&1; cat report.txt"));

    List<String> leaks = new ArrayList<>(report.lines().filter(line -> line.startsWith("LEAK")).toList());
    assertThat(report).as("the probe ran to the end").contains("DONE");
    assertThat(report).as("it saw bwrap's pid 1 and its descriptors").containsPattern("(?m)^FD 1 2 ");
    assertThat(report).as("no file of the server").doesNotContain(dir.toString());
    assertThat(leaks).as("what the probe reached:\n%s", report).isEmpty();
  }

  @Test
  void theGeneratedAdminKeyIsNotPrinted() throws Exception {
    String key = Files.readString(dir.resolve("data/api-key")).trim();
    String printed = Files.readString(dir.resolve("server-stdout.log")) + Files.readString(dir.resolve("server-stderr.log"));
    assertThat(printed).contains(dir.resolve("data/api-key").toString()).doesNotContain(key);
    assertThat(Files.getPosixFilePermissions(dir.resolve("data/api-key"))).hasSize(2);
  }
}
