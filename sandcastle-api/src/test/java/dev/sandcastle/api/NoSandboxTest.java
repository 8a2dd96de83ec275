package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code --sandbox none}, for a server already inside a container: same API, host paths, still limited. */
class NoSandboxTest {
  @Test
  void commandsAndFilesWorkWithHostPaths() {
    try (TestServer server = new TestServer(SandboxPolicy.Mechanism.NONE, new Limits(256L << 20, 64, 0), ExecSettings.defaults())) {
      String home = server.home.toString();
      JsonNode view = server.run("echo $HOME; pwd; id -u", 10);
      String expectedUid = Sandbox.currentUid() == 0 ? "100000" : Integer.toString(Sandbox.currentUid());
      assertThat(TestServer.output(view)).isEqualTo(home + "\n" + home + "\n" + expectedUid + "\n");
      server.post("/files/write", Map.of("path", "a.txt", "content", "hi\n"));
      assertThat(TestServer.output(server.run("cat a.txt", 10))).isEqualTo("hi\n");
      // Without a sandbox the workspace's processes see the host: so does the file API, read-only outside the home.
      assertThat(server.get("/files/read?path=/etc/hostname").json().path("content").asString())
          .isEqualTo(TestServer.output(server.run("cat /etc/hostname", 10)));
      assertThat(server.post("/files/write", Map.of("path", "/etc/hostname", "content", "pwned")).status()).isEqualTo(403);
      assertThat(server.get("/files/cwd").json().path("home").asString()).isEqualTo(home);
    }
  }

  @Test
  void terminalsWorkOnTheHostsPseudoTerminals() {
    try (TestServer server = new TestServer(SandboxPolicy.Mechanism.NONE, new Limits(256L << 20, 64, 0), ExecSettings.defaults());
        TerminalSocket terminal = TerminalSocket.attach(server, TerminalsTest.open(server))) {
      terminal.type("echo \"$PWD $(id -u)\"; tty\r");
      String expectedUid = Sandbox.currentUid() == 0 ? "100000" : Integer.toString(Sandbox.currentUid());
      terminal.await("\r" + server.home + " " + expectedUid + "\r\n/dev/pts/", java.time.Duration.ofSeconds(10));
    }
  }

  @Test
  void theSystemCallFilterHoldsWithoutBubblewrapToo() {
    // The supervisor installs it on itself here (in a container, on top of the runtime's own).
    try (TestServer server = new TestServer(SandboxPolicy.Mechanism.NONE, new Limits(256L << 20, 64, 0), ExecSettings.defaults())) {
      assertThat(TestServer.output(server.run("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status", 10)))
          .isEqualTo("NoNewPrivs:\t1\nSeccomp:\t2\n");
      // io_uring_setup (425) and pidfd_getfd (438) have these numbers on every architecture.
      String calls = "python3 -c 'import ctypes; c = ctypes.CDLL(None, use_errno=True); "
          + "print([(c.syscall(n, 0, 0, 0), ctypes.get_errno()) for n in (425, 438)])'";
      assertThat(TestServer.output(server.run(calls, 10))).as("ENOSYS, EPERM").isEqualTo("[(-1, 38), (-1, 1)]\n");
    }
  }
}
