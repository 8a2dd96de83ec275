package dev.sandcastle.api;

import static dev.sandcastle.api.TestServer.output;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import tools.jackson.databind.JsonNode;

/**
 * The system-call filter in a real workspace: a probe compiled there with gcc makes each call the
 * filter refuses and gets the refusal, with the errno a program would see; commands, terminals,
 * kernels and bwrap's own pid 1 all run under it; and the ordinary work of a workspace still runs.
 */
@Tag("bwrap")
class SystemCallFilterTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(768L << 20, 256, 0), ExecSettings.defaults());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String run(String command) {
    JsonNode view = server.run(command, 120);
    assertThat(view.path("exit_code").asInt(-1)).as("%s:\n%s", command, output(view)).isZero();
    return output(view);
  }

  @Test
  void everyCallTheFilterListsIsRefusedWithTheRightErrno() throws IOException {
    String probe;
    try (InputStream source = SystemCallFilterTest.class.getResourceAsStream("syscall-probe.c")) {
      probe = new String(source.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(server.post("/files/write", Map.of("path", "probe.c", "content", probe)).status()).isEqualTo(200);
    String report = run("gcc -O -o probe probe.c && ./probe");

    Map<String, String> expected = new LinkedHashMap<>();
    for (String call : new String[] {"io_uring_setup", "io_uring_enter", "io_uring_register", "clone3", "io_setup"}) {
      expected.put(call, "ENOSYS");
    }
    for (String call : new String[] {"keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd", "bpf",
        "personality(READ_IMPLIES_EXEC)", "personality(ADDR_NO_RANDOMIZE)", "name_to_handle_at", "open_by_handle_at",
        "pidfd_getfd(pid 1)", "ptrace(ATTACH, pid 1)", "ptrace(SEIZE, pid 1)", "process_vm_readv(pid 1)",
        "process_vm_writev(pid 1)", "kcmp", "socket(AF_VSOCK)", "socket(AF_PACKET)", "socket(AF_ALG)", "socket(NETLINK_AUDIT)",
        "socket(NETLINK_SOCK_DIAG)", "unshare(CLONE_NEWUSER)", "clone(CLONE_NEWNET)", "setns", "mount", "umount2",
        "pivot_root", "chroot", "fsopen", "open_tree", "kexec_load", "init_module", "finit_module", "delete_module", "reboot",
        "swapon", "syslog", "get_mempolicy"}) {
      expected.put(call, "EPERM");
    }
    for (String call : new String[] {"personality(query)", "socket(NETLINK_ROUTE)", "socket(AF_INET6)", "socket(AF_UNIX)"}) {
      expected.put(call, "OK");
    }
    if (System.getProperty("os.arch").equals("amd64")) {
      expected.put("iopl", "EPERM");
      expected.put("x32 getpid", "EPERM");
      expected.put("i386 getpid", "EPERM");
    }
    Map<String, String> seen = new LinkedHashMap<>();
    report.lines().filter(line -> line.contains(" ")).forEach(line ->
        seen.put(line.substring(0, line.lastIndexOf(' ')), line.substring(line.lastIndexOf(' ') + 1)));
    assertThat(report).as("the probe ran to its end").endsWith("DONE\n");
    assertThat(seen).as("the probe's report:\n%s", report).containsExactlyInAnyOrderEntriesOf(expected);
  }

  @Test
  void commandsTerminalsKernelsAndTheSandboxsPid1RunUnderTheFilter() {
    assertThat(run("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status")).isEqualTo("NoNewPrivs:\t1\nSeccomp:\t2\n");
    assertThat(run("grep '^Seccomp:' /proc/1/status")).as("bwrap's pid 1, dumpable to the sandbox").isEqualTo("Seccomp:\t2\n");
    assertThat(run("sleep 30 >/dev/null 2>&1 & sleep 0.2; grep '^Seccomp:' /proc/$!/status; kill $!"))
        .as("a background job").isEqualTo("Seccomp:\t2\n");

    TestServer.Response kernel = server.post("/execute_code",
        Map.of("code", "print([l for l in open('/proc/self/status') if l.startswith('Seccomp:')][0], end='')"));
    assertThat(kernel.status()).as(kernel.text()).isEqualTo(200);
    assertThat(kernel.json().path("stdout").asString()).as("a Python kernel").isEqualTo("Seccomp:\t2\n");

    try (TerminalSocket terminal = TerminalSocket.attach(server, TerminalsTest.open(server))) {
      terminal.type("echo filter-$(grep -c '^Seccomp:.2' /proc/self/status)-$(grep -c '^Seccomp:.2' /proc/$PPID/status)\r");
      terminal.await("filter-1-1\r\n", Duration.ofSeconds(20));
    }
  }

  @Test
  void ordinaryWorkStillRuns() {
    assertThat(run("pip --version")).as("pip").startsWith("pip ");
    assertThat(run("pip list >/dev/null && pip show numpy | grep '^Name:'")).as("pip, offline").isEqualTo("Name: numpy\n");
    assertThat(run("python3 -c 'import numpy as np; print(int(np.linalg.det(np.diag([2.0, 3.0, 7.0])).round()))'"))
        .as("numpy").isEqualTo("42\n");
    assertThat(run("MPLBACKEND=Agg python3 -c 'import matplotlib.pyplot as p; p.plot([1, 2]); p.savefig(\"chart.png\")'"
        + " && head -c 4 chart.png | tail -c 3")).as("matplotlib").isEqualTo("PNG");
    assertThat(run("rm -rf repo && git init -q repo && cd repo && echo hi > a && git add a"
        + " && git -c user.name=u -c user.email=u@example.com commit -qm first && git log --format=%s")).as("git").isEqualTo("first\n");
    assertThat(run("printf '#include <stdio.h>\\nint main(void) { puts(\"compiled\"); return 0; }\\n' > hello.c"
        + " && gcc -o hello hello.c && ./hello")).as("gcc").isEqualTo("compiled\n");
    assertThat(run("ps -eo comm | grep -cx ps")).as("ps").isEqualTo("1\n");
    assertThat(run("top -b -n1 | head -1")).as("top").startsWith("top - ");
    assertThat(run("strace -f -o trace.txt sh -c 'echo traced' && grep -q execve trace.txt && echo seen"))
        .as("strace of one's own command (PTRACE_TRACEME)").isEqualTo("traced\nseen\n");
    assertThat(run("""
        python3 -c '
        import multiprocessing, subprocess, threading
        done = []
        threads = [threading.Thread(target=done.append, args=(i,)) for i in range(8)]
        [t.start() for t in threads]; [t.join() for t in threads]
        with multiprocessing.Pool(2) as pool:
            squares = sum(pool.map(abs, range(-4, 0)))
        print(len(done), squares, subprocess.run(["echo", "child"], capture_output=True, text=True).stdout.strip())
        '""")).as("threads, a process pool, a subprocess").isEqualTo("8 10 child\n");
    assertThat(run("python3 -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 & server=$!; "
        + "for i in $(seq 100); do curl -sf http://127.0.0.1:8765/ >/dev/null && break; sleep 0.1; done; "
        + "curl -s http://127.0.0.1:8765/ | grep -m1 -o '<title>Directory listing'; kill $server"))
        .as("a web server on loopback, reached with curl").isEqualTo("<title>Directory listing\n");
  }
}
