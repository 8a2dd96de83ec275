package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Interactive terminals against a real server, a real bubblewrap sandbox and a real WebSocket
 * client: what a person at a terminal (or the web UI's xterm.js) would notice.
 */
@Tag("bwrap")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TerminalsTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  static TestServer server;
  /** A client that connects and never authenticates; checked last, after the 10 s have passed. */
  static TerminalSocket silent;
  static long silentSince;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
    silentSince = System.nanoTime();
    silent = TerminalSocket.connect(server, "0123456789abcdef0123456789abcdef", null, false);
  }

  @AfterAll
  static void stop() {
    silent.close();
    server.close();
  }

  @AfterEach
  void closeTerminals() {
    for (JsonNode terminal : server.get("/api/terminals").json()) {
      server.delete("/api/terminals/" + terminal.path("id").asString());
    }
  }

  static String open(TestServer server) {
    TestServer.Response response = server.post("/api/terminals", Map.of());
    assertThat(response.status()).as(response.text()).isEqualTo(200);
    return response.json().path("id").asString();
  }

  @Test
  void typingACommandShowsItsResult() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.await("$ ", SOON); // the prompt
      terminal.type("echo $((6*7))\r");
      terminal.await("\r42\r\n", SOON);
    }
  }

  @Test
  void resizingChangesWhatProgramsSee() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.type("stty size\r");
      terminal.await("\r24 80\r\n", SOON);
      terminal.resize(100, 40);
      terminal.type("stty size\r");
      terminal.await("\r40 100\r\n", SOON);
    }
  }

  @Test
  void ctrlCInterruptsTheForegroundProgram() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.type("sleep 100\r");
      terminal.await("sleep 100\r\n", SOON);
      sleepMillis(300); // let sleep start and own the terminal
      long t0 = System.nanoTime();
      terminal.type("\u0003");
      terminal.type("echo back-$((1+1))\r");
      terminal.await("\rback-2\r\n", SOON);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(terminal.text()).contains("^C");
    }
  }

  @Test
  void vimOpensEditsAndQuits() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.resize(100, 30);
      terminal.type("vi -N -u NONE -i NONE notes.txt\r"); // vim, or vim-tiny on a minimal system
      terminal.await("\u001b[?1049h", SOON); // full screen: the alternate screen is on
      terminal.await("notes.txt", SOON);
      terminal.type("ihello from vim\u001b");
      terminal.type(":wq\r");
      terminal.await("\u001b[?1049l", SOON); // back to the shell's screen
      terminal.type("echo after-$((2+3))\r");
      terminal.await("\rafter-5\r\n", SOON);
    }
    assertThat(server.get("/files/read?path=notes.txt").json().path("content").asString()).isEqualTo("hello from vim\n");
  }

  @Test
  void aReconnectingClientIsShownThePreviousOutput() {
    String id = open(server);
    TerminalSocket first = TerminalSocket.attach(server, id);
    first.type("echo marker-$((40+2))\r");
    first.await("\rmarker-42\r\n", SOON);
    first.drop(); // the network goes away; no closing handshake
    Awaitility.await().atMost(SOON).until(() -> server.get("/api/terminals/" + id).json().path("clients").asInt() == 0);
    assertThat(server.get("/api/terminals").json().findValuesAsString("id")).contains(id);

    try (TerminalSocket second = TerminalSocket.attach(server, id)) {
      second.await("\rmarker-42\r\n", SOON); // replayed before anything new was typed
      second.type("echo still-$((3*3))\r"); // and it is the same shell, still alive
      second.await("\rstill-9\r\n", SOON);
    }
  }

  @Test
  void aFullScreenProgramRedrawsForAClientThatReattaches() {
    server.post("/files/write", Map.of("path", "redraw.txt", "content", "alpha-line\n"));
    String id = open(server);
    TerminalSocket first = TerminalSocket.attach(server, id);
    first.resize(90, 30);
    first.type("vi -N -u NONE -i NONE redraw.txt\r");
    first.await("alpha-line", SOON);
    first.drop();
    try (TerminalSocket second = TerminalSocket.attach(server, id)) {
      second.await("alpha-line", SOON); // the replay
      sleepMillis(300);
      int replayed = second.text().length();
      second.resize(90, 30); // what a client does on connecting; the size is unchanged
      Awaitility.await().atMost(SOON).until(() -> second.text().indexOf("alpha-line", replayed) >= 0); // vi drew again
      second.type("\u001b:q!\r");
      second.await("\u001b[?1049l", SOON);
    }
  }

  @Test
  void severalClientsShareOneTerminal() {
    String id = open(server);
    try (TerminalSocket a = TerminalSocket.attach(server, id); TerminalSocket b = TerminalSocket.attach(server, id)) {
      Awaitility.await().atMost(SOON).until(() -> server.get("/api/terminals/" + id).json().path("clients").asInt() == 2);
      b.type("echo from-b-$((2*2))\r");
      a.await("\rfrom-b-4\r\n", SOON);
      b.await("\rfrom-b-4\r\n", SOON);
      a.type("echo from-a-$((2*3))\r");
      b.await("\rfrom-a-6\r\n", SOON);
    }
  }

  @Test
  void whenTheShellExitsClientsAreToldItsStatus() {
    String id = open(server);
    try (TerminalSocket a = TerminalSocket.attach(server, id); TerminalSocket b = TerminalSocket.attach(server, id)) {
      a.await("$ ", SOON);
      b.await("$ ", SOON); // both attached (the prompt replayed to b) before the shell goes
      a.type("echo bye; exit 3\r");
      TerminalSocket.Close close = a.awaitClose(SOON);
      assertThat(close.code()).isEqualTo(1000);
      assertThat(TestServer.JSON.readTree(close.reason()).path("exit_code").asInt()).isEqualTo(3);
      assertThat(b.awaitClose(SOON)).isEqualTo(close);
      assertThat(a.text()).contains("\rbye\r\n");
    }
    assertThat(server.get("/api/terminals/" + id).status()).isEqualTo(404);
    try (TerminalSocket late = TerminalSocket.attach(server, id)) {
      assertThat(late.awaitClose(SOON).code()).isEqualTo(4004);
    }
  }

  @Test
  void deletingATerminalHangsItUp() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.await("$ ", SOON);
      terminal.type("sleep 300\r");
      terminal.await("sleep 300\r\n", SOON);
      TestServer.Response deleted = server.delete("/api/terminals/" + id);
      assertThat(deleted.status()).isEqualTo(200);
      assertThat(deleted.json().path("status").asString()).isEqualTo("deleted");
      TerminalSocket.Close close = terminal.awaitClose(SOON);
      assertThat(close.code()).isEqualTo(1000);
      assertThat(TestServer.JSON.readTree(close.reason()).path("signal").asInt()).isEqualTo(1); // SIGHUP
    }
    assertThat(server.get("/api/terminals/" + id).status()).isEqualTo(404);
    assertThat(server.delete("/api/terminals/" + id).status()).isEqualTo(404);
    // the job it was running went with it
    Awaitility.await().atMost(SOON).until(() -> TestServer.output(server.run("pgrep -c -x sleep || true", 10)).trim().equals("0"));
  }

  @Test
  void theRestApiDescribesTerminals() {
    TestServer.Response created = server.post("/api/terminals", Map.of());
    assertThat(created.status()).isEqualTo(200);
    JsonNode terminal = created.json();
    String id = terminal.path("id").asString();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(Instant.parse(terminal.path("created_at").asString())).isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(terminal.path("pid").asLong()).isPositive();
    assertThat(server.get("/api/terminals").json().findValuesAsString("id")).contains(id);
    JsonNode got = server.get("/api/terminals/" + id).json();
    assertThat(got.path("pid").asLong()).isEqualTo(terminal.path("pid").asLong());
    assertThat(got.path("created_at").asString()).isEqualTo(terminal.path("created_at").asString());
    assertThat(server.get("/api/terminals/nope").status()).isEqualTo(404);
    assertThat(server.get("/api/config").json().at("/features/terminal").asBoolean()).isTrue();
    TestServer.Response anonymous = server.send(HttpRequest.newBuilder(server.uri("/api/terminals")).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(anonymous.status()).isEqualTo(401);
  }

  @Test
  void theShellRunsLikeCommandsDoWithATerminalAndWithoutTheServersKey() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.type("echo \"term=$TERM uid=$(id -u) home=$PWD\"; tty; env | grep -c -e " + TestServer.KEY + " -e API_KEY;"
          + " ls /proc/$$/fd > /tmp/fds; echo fds: $(cat /tmp/fds); echo END\r");
      String text = terminal.await("\r\nEND\r\n", SOON);
      String commandUid = TestServer.output(server.run("id -u", 10)).trim();
      assertThat(text).contains("term=xterm-256color uid=" + commandUid + " home=" + server.workspace.home() + "\r\n");
      assertThat(text).contains("/dev/pts/");
      assertThat(text).contains("\r\n0\r\n"); // no variable holds the key, or names one
      assertThat(text).contains("\r\nfds: 0 1 2 255\r\n"); // the terminal and bash's own: no channel to the supervisor
    }
  }

  @Test
  void theSeventeenthTerminalIsRefused() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      ids.add(open(server));
    }
    TestServer.Response refused = server.post("/api/terminals", Map.of());
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.json().path("detail").asString()).contains("16");
    server.delete("/api/terminals/" + ids.getFirst());
    assertThat(server.post("/api/terminals", Map.of()).status()).isEqualTo(200); // a slot came free
  }

  @Test
  void aWrongTokenIsRefusedWith4001EvenFromAnotherSite() throws IOException {
    String id = open(server);
    try (TerminalSocket intruder = TerminalSocket.connect(server, id, "https://evil.example", false)) {
      intruder.auth("not-the-key");
      assertThat(intruder.awaitClose(SOON).code()).isEqualTo(4001);
      assertThat(intruder.bytes()).isZero(); // not one byte of the terminal
    }
    try (TerminalSocket eager = TerminalSocket.connect(server, id, null, false)) {
      eager.type("echo typed before auth\r");
      assertThat(eager.awaitClose(SOON).code()).isEqualTo(4001);
    }
    try (TerminalSocket unknown = TerminalSocket.attach(server, "ffffffffffffffffffffffffffffffff")) {
      assertThat(unknown.awaitClose(SOON).code()).isEqualTo(4004);
    }
    // An upgrade header on a request that is not a real WebSocket handshake gains nothing.
    assertThat(rawGet("/api/terminals/" + id, "Upgrade: websocket\r\nConnection: Upgrade\r\n")).startsWith("HTTP/1.1 401");
  }

  private static String rawGet(String path, String headers) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "Connection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void webSocketUpgradesLeaveNoHttpSessionBehind() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (TerminalSocket unknown = TerminalSocket.attach(server, "ffffffffffffffffffffffffffffffff")) {
        unknown.awaitClose(SOON);
      }
    }
    // The Jupyter channels too: the cure applies to every WebSocket route.
    java.net.URI channels = java.net.URI.create("ws://127.0.0.1:" + server.port() + "/api/kernels/nope/channels?token=" + TestServer.KEY);
    var jupyter = server.client.newWebSocketBuilder().buildAsync(channels, new java.net.http.WebSocket.Listener() { })
        .exceptionally(e -> null).get(10, java.util.concurrent.TimeUnit.SECONDS);
    if (jupyter != null) {
      jupyter.abort();
    }
    var sessions = (DefaultSessionCache) server.app.jettyServer().server().getDescendant(SessionHandler.class).getSessionCache();
    Awaitility.await().atMost(SOON).until(() -> sessions.getSessionsCurrent() == 0);
    assertThat(sessions.getSessionsTotal()).isGreaterThanOrEqualTo(21); // each upgrade made one, and it went
  }

  @Test
  void anOversizedMessageClosesTheSocketButNotTheTerminal() {
    String id = open(server);
    try (TerminalSocket terminal = TerminalSocket.attach(server, id)) {
      terminal.await("$ ", SOON);
      try {
        terminal.sendBinary(new byte[100 << 10]);
      } catch (java.util.concurrent.CompletionException e) {
        // The server may close before the whole message is out: the client's send then fails.
      }
      assertThat(terminal.awaitClose(SOON).code()).isEqualTo(1009); // message too big
    }
    assertThat(server.get("/api/terminals/" + id).status()).isEqualTo(200);
  }

  @Test
  @Order(100)
  void aYesFloodKeepsMemoryBoundedAndOtherTerminalsResponsive() {
    String flood = open(server);
    String other = open(server);
    long heapBefore = usedHeapAfterGc();
    try (TerminalSocket watcher = TerminalSocket.attach(server, flood);
        TerminalSocket stalled = TerminalSocket.connect(server, flood, null, true);
        TerminalSocket neighbour = TerminalSocket.attach(server, other)) {
      stalled.auth(TestServer.KEY); // reads one message, then never again
      neighbour.await("$ ", SOON);
      watcher.type("yes\r");
      List<Long> echoMillis = new ArrayList<>();
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      for (int i = 0; System.nanoTime() < end; i++) {
        long t0 = System.nanoTime();
        neighbour.type("echo ping-" + i + "-$((" + i + "+1))\r");
        neighbour.await("\rping-" + i + "-" + (i + 1) + "\r\n", SOON);
        echoMillis.add((System.nanoTime() - t0) / 1_000_000);
        sleepMillis(100);
      }
      long flooded = watcher.bytes();
      long heapDuring = usedHeapAfterGc();
      watcher.type("\u0003");
      watcher.type("echo stopped-$((3*3))\r");
      watcher.await("\rstopped-9\r\n", Duration.ofSeconds(20));

      System.out.printf("yes flood: %d MiB to the watcher in 10 s, %d echoes in the other terminal, slowest %d ms, heap %+d MiB%n",
          flooded >> 20, echoMillis.size(), echoMillis.stream().mapToLong(Long::longValue).max().orElseThrow(), (heapDuring - heapBefore) >> 20);
      assertThat(flooded).as("bytes of y the watching client received").isGreaterThan(5L << 20);
      assertThat(echoMillis.stream().mapToLong(Long::longValue).max().orElseThrow()).as("slowest echo in the other terminal, ms")
          .isLessThan(2_000);
      assertThat(echoMillis.size()).isGreaterThan(20);
      assertThat(heapDuring - heapBefore).as("heap growth, bytes").isLessThan(64L << 20);
      assertThat(server.run("echo still here", 10).path("status").asString()).isEqualTo("done"); // commands too
    }
  }

  @Test
  void aClientThatStopsReadingPausesTheProgramInsteadOfBufferingItsOutput() {
    String id = open(server);
    long heapBefore = usedHeapAfterGc();
    try (TerminalSocket stalled = TerminalSocket.connect(server, id, null, true)) {
      stalled.auth(TestServer.KEY); // reads one message, then never again
      stalled.type("yes\r");
      sleepMillis(1_500);
      long before = yesCpuTicks();
      sleepMillis(1_000);
      long after = yesCpuTicks();
      assertThat(after - before).as("CPU ticks yes used in a second").isLessThan(10); // blocked in write
      assertThat(usedHeapAfterGc() - heapBefore).as("heap growth, bytes").isLessThan(16L << 20);
      assertThat(server.get("/api/terminals/" + id).json().path("clients").asInt()).isEqualTo(1);
    }
  }

  @Test
  void aTerminalNobodyWatchesKeepsRunningAtAModestPace() {
    String id = open(server);
    TerminalSocket first = TerminalSocket.attach(server, id);
    first.type("yes\r");
    first.await("y\r\ny\r\ny\r\n", SOON);
    first.drop();
    Awaitility.await().atMost(SOON).until(() -> server.get("/api/terminals/" + id).json().path("clients").asInt() == 0);
    sleepMillis(500);
    long before = yesBytesWritten();
    sleepMillis(2_000);
    long perSecond = (yesBytesWritten() - before) / 2;
    assertThat(perSecond).as("bytes per second yes wrote with nobody watching").isBetween(100_000L, 3_000_000L);
    try (TerminalSocket second = TerminalSocket.attach(server, id)) { // a watcher takes the brakes off
      long received = second.bytes();
      sleepMillis(2_000);
      long watched = (second.bytes() - received) / 2;
      // Compared with the pace measured just before on the same machine, not with a fixed rate:
      // the machine may be busy, but the brakes must be off.
      assertThat(watched).as("bytes per second a watching client receives, against %d unwatched", perSecond)
          .isGreaterThan(perSecond * 3 / 2);
      second.type("\u0003");
      second.type("echo stopped-$((2*4))\r");
      second.await("\rstopped-8\r\n", Duration.ofSeconds(20));
    }
  }

  /** Bytes the newest yes in the workspace has written so far. */
  private static long yesBytesWritten() {
    JsonNode view = server.run("sed -n 's/^wchar: //p' /proc/$(pgrep -n -x yes)/io", 10);
    return Long.parseLong(TestServer.output(view).trim());
  }

  /** User plus system CPU time of the newest yes in the workspace, in clock ticks. */
  private static long yesCpuTicks() {
    JsonNode view = server.run("set -- $(sed 's/.*) //' /proc/$(pgrep -n -x yes)/stat); echo $(( ${12} + ${13} ))", 10);
    return Long.parseLong(TestServer.output(view).trim());
  }

  @Test
  @Order(101)
  void aClientThatNeverAuthenticatesIsClosedAfterTenSeconds() {
    TerminalSocket.Close close = silent.awaitClose(Duration.ofSeconds(15));
    assertThat(close.code()).isEqualTo(4001);
    assertThat(Duration.ofNanos(System.nanoTime() - silentSince)).isGreaterThan(Duration.ofSeconds(9));
    assertThat(silent.bytes()).isZero();
  }

  @Test
  void anAbandonedTerminalIsClosedAfterTheGracePeriod() {
    try (TestServer quick = new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(256L << 20, 128, 0), ExecSettings.defaults(),
        new TerminalSettings(16, Duration.ofSeconds(1), 64 << 10))) {
      String id = open(quick);
      long pid = quick.get("/api/terminals/" + id).json().path("pid").asLong();
      TerminalSocket client = TerminalSocket.attach(quick, id);
      client.await("$ ", SOON);
      sleepMillis(2_000); // longer than the grace period, but a client is attached
      assertThat(quick.get("/api/terminals/" + id).status()).isEqualTo(200);
      client.drop();
      Awaitility.await().atMost(SOON).until(() -> quick.get("/api/terminals/" + id).status() == 404);
      Awaitility.await().atMost(SOON).until(() -> quick.run("kill -0 " + pid, 10).path("exit_code").asInt() != 0);
      String never = open(quick); // never attached: the same grace applies
      Awaitility.await().atMost(SOON).until(() -> quick.get("/api/terminals/" + never).status() == 404);
    }
  }

  private static long usedHeapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 2; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
