package dev.sandcastle.api;

import static dev.sandcastle.api.TestServer.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What a workspace sees of the host (issue 13): an allow-list of {@code /etc}, not the host's
 * whole directory; {@code /proc} without the host's kernel command line, keys and the entries
 * Docker masks; the paths its policy adds, read-only; a bounded {@code /tmp}. And the data stack
 * still works with that little.
 */
@Tag("bwrap")
class HostViewTest {
  static final String ID = UUID.randomUUID().toString();
  /** Written by the test into the host's /etc: a secret any local account could read there. */
  static final Path MARKER = Path.of("/etc/sandcastle-marker-" + ID);
  /** Also in the host's /etc, but named by the workspace's policy. */
  static final Path ADDED = Path.of("/etc/sandcastle-added-" + ID + ".conf");
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Sandbox.currentUid()).as("writing into /etc needs root").isZero();
    Files.writeString(MARKER, "host-secret-" + ID + "\n");
    Files.writeString(ADDED, "shared-setting-" + ID + "\n");
    server = TestServer.bwrap(new SandboxPolicy(SandboxPolicy.Mechanism.BWRAP, SandboxPolicy.Network.NONE,
        new Limits(512L << 20, 256, 0), List.of(ADDED.toString()), 64L << 20));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(MARKER);
    Files.deleteIfExists(ADDED);
  }

  private static String run(String command) {
    JsonNode view = server.run(command, 60);
    assertThat(view.path("status").asString()).as("%s: %s", command, output(view)).isEqualTo("done");
    return output(view);
  }

  @Test
  void theHostsEtcIsNotVisibleOnlyWhatProgramsNeed() {
    String seen = run("ls -a /etc; cat " + MARKER + " 2>&1; grep -rs host-secret- /etc /usr/local /run /mnt /opt 2>/dev/null; true");
    assertThat(seen).doesNotContain("host-secret-").contains(MARKER + ": No such file or directory");
    // Files of the host's /etc that programs do not need stay on the host.
    assertThat(seen.lines().toList()).doesNotContain(MARKER.getFileName().toString(), "shadow", "environment", "gshadow", "machine-id", "pip.conf", "npmrc", "subuid", "fstab")
        .contains("passwd", "group", "hosts", "ssl", "alternatives", "ld.so.cache");
    // The name-service files are the sandbox's own.
    assertThat(run("getent passwd user; getent hosts localhost; hostname; cat /etc/hostname"))
        .contains("user:x:").contains("/home/user").contains("localhost").endsWith("sandcastle\nsandcastle\n");
  }

  @Test
  void aPathThePolicyAddsIsVisibleAndReadOnly() {
    assertThat(run("cat " + ADDED)).isEqualTo("shared-setting-" + ID + "\n");
    assertThat(run("(echo changed > " + ADDED + ") 2>&1; cat " + ADDED)).contains("Read-only file system")
        .endsWith("shared-setting-" + ID + "\n");
  }

  @Test
  void procHidesTheHostsKernelDetails() {
    String seen = run("for f in cmdline keys key-users config.gz kcore timer_list sched_debug interrupts partitions diskstats; do"
        + " [ -e /proc/$f ] && printf '%s:%s\\n' $f \"$(head -c 4096 /proc/$f 2>/dev/null | wc -c)\"; done; ls /proc/acpi 2>/dev/null | wc -l");
    assertThat(seen.lines().filter(line -> line.contains(":")).toList())
        .as("masked /proc entries read as empty").allMatch(line -> line.endsWith(":0"));
    assertThat(seen).contains("cmdline:0", "partitions:0", "diskstats:0").endsWith("0\n");
    assertThat(run("cat /proc/self/mountinfo")).doesNotContain(" /etc/sandcastle-marker");
    // Its own processes are still there for ps and top.
    assertThat(run("ps -eo pid,tty,comm | head -3")).contains("PID");
  }

  @Test
  void limitsNoCgroupHoldsAreSetForEveryProcess() {
    // Open files and core dumps: soft and hard, so a workspace cannot raise them again.
    assertThat(run("ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc")).isEqualTo("4096\n4096\n0\n0\n");
  }

  @Test
  void tmpIsBounded() {
    String seen = run("dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1 | grep -o 'No space.*'; du -m /tmp/fill | cut -f1; rm -f /tmp/fill; df -m /tmp | tail -1");
    assertThat(seen).contains("No space left on device");
    assertThat(Integer.parseInt(seen.lines().toList().get(1).trim())).isLessThanOrEqualTo(64);
  }

  @Test
  void theDataStackAndCommonToolsWorkWithThatLittle() {
    String python = run("python3 - <<'EOF'\n"
        + "import ssl, numpy, pandas, matplotlib\n"
        + "import matplotlib.pyplot as plt\n"
        + "fig, ax = plt.subplots(); ax.plot(numpy.arange(5)); ax.set_title('sales'); fig.savefig('plot.png')\n"
        + "print('frame', pandas.DataFrame({'a': [1, 2]}).a.sum())\n"
        + "print('certs', len(ssl.create_default_context().get_ca_certs()) > 0)\n"
        + "EOF\n"
        + "ls -s plot.png | cut -d' ' -f1");
    assertThat(python).contains("frame 3").contains("certs True").doesNotContain("Traceback");
    assertThat(python.lines().reduce((a, b) -> b).orElseThrow().trim()).isNotEqualTo("0");
    // awk and vi reach their programs through Debian's alternatives; time zone, locale, git and a login shell.
    String tools = run("echo 1 2 | awk '{print $2}'; date +%Z; git init -q repo && cd repo && git -c user.name=u -c user.email=u@x"
        + " commit -q --allow-empty -m first && git log --oneline | wc -l; bash -lc 'echo login-ok'; whoami");
    assertThat(tools).isEqualTo("2\nUTC\n1\nlogin-ok\nuser\n");
  }
}
