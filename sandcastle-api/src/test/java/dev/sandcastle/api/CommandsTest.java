package dev.sandcastle.api;

import static dev.sandcastle.api.TestServer.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The command endpoints against a real server and a real bubblewrap sandbox. */
@Tag("bwrap")
class CommandsTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void echoReturnsOutputAndExitCode() {
    JsonNode view = server.run("echo hi", 10);
    assertThat(view.path("status").asString()).isEqualTo("done");
    assertThat(view.path("exit_code").asInt()).isZero();
    assertThat(view.path("output").get(0).path("type").asString()).isEqualTo("stdout");
    assertThat(output(view)).isEqualTo("hi\n");
    assertThat(view.path("id").asString()).isNotBlank();
    assertThat(view.path("log_path").asString()).endsWith(view.path("id").asString() + ".log");
  }

  @Test
  void exitCodeAndStderrAreReported() {
    JsonNode view = server.run("echo oops >&2; exit 3", 10);
    assertThat(view.path("status").asString()).isEqualTo("done");
    assertThat(view.path("exit_code").asInt()).isEqualTo(3);
    assertThat(view.path("output").get(0).path("type").asString()).isEqualTo("stderr");
    assertThat(output(view)).isEqualTo("oops\n");
  }

  @Test
  void withoutWaitTheCommandRunsInTheBackgroundAndStatusWaits() {
    JsonNode started = server.post("/execute", Map.of("command", "sleep 0.5; echo late")).json();
    assertThat(started.path("status").asString()).isEqualTo("running");
    assertThat(started.path("exit_code").isNull()).isTrue();
    String id = started.path("id").asString();
    JsonNode done = server.get("/execute/" + id + "/status?wait=10").json();
    assertThat(done.path("status").asString()).isEqualTo("done");
    assertThat(output(done)).isEqualTo("late\n");
    assertThat(server.get("/execute").json().findValuesAsString("id")).contains(id);
  }

  @Test
  void offsetAndTailSelectEntries() {
    JsonNode view = server.run("for i in 1 2 3 4 5; do echo $i; sleep 0.05; done", 10);
    long total = view.path("next_offset").asLong();
    assertThat(total).isGreaterThanOrEqualTo(2);
    String id = view.path("id").asString();
    JsonNode tail = server.get("/execute/" + id + "/status?tail=1").json();
    assertThat(tail.path("output")).hasSize(1);
    assertThat(output(tail)).endsWith("5\n");
    assertThat(tail.path("truncated").asBoolean()).isTrue();
    JsonNode rest = server.get("/execute/" + id + "/status?offset=" + total).json();
    assertThat(rest.path("output")).isEmpty();
    assertThat(rest.path("next_offset").asLong()).isEqualTo(total);
    JsonNode fromOne = server.get("/execute/" + id + "/status?offset=1").json();
    assertThat(fromOne.path("output")).hasSize((int) total - 1);
    assertThat(fromOne.path("truncated").asBoolean()).isFalse();
  }

  @Test
  void inputReachesARunningCatAndEscapesAreDecoded() {
    String id = server.post("/execute", Map.of("command", "cat")).json().path("id").asString();
    assertThat(server.post("/execute/" + id + "/input", Map.of("input", "hello\\tworld\\n")).json().path("status").asString()).isEqualTo("ok");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> output(server.get("/execute/" + id + "/status").json()).equals("hello\tworld\n"));
    assertThat(server.delete("/execute/" + id).json().path("status").asString()).isEqualTo("killed");
    JsonNode after = server.get("/execute/" + id + "/status").json();
    assertThat(after.path("status").asString()).isEqualTo("killed");
    TestServer.Response late = server.post("/execute/" + id + "/input", Map.of("input", "more"));
    assertThat(late.status()).isEqualTo(400);
    assertThat(late.contentType()).startsWith("application/problem+json");
    assertThat(late.json().path("detail").asString()).contains("exited");
  }

  @Test
  void killStopsASleepQuickly() {
    String id = server.post("/execute", Map.of("command", "sleep 100")).json().path("id").asString();
    long t0 = System.nanoTime();
    assertThat(server.delete("/execute/" + id + "?force=false").status()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    assertThat(server.get("/execute/" + id + "/status").json().path("status").asString()).isEqualTo("killed");
  }

  @Test
  void timeoutEndsTheCommandAsTimedOut() {
    JsonNode view = server.post("/execute?wait=20", Map.of("command", "sleep 30", "timeout", 1)).json();
    assertThat(view.path("status").asString()).isEqualTo("timed_out");
  }

  @Test
  void commandsShareTmpAndBackgroundJobsKeepRunning() {
    server.run("echo shared > /tmp/note; (sleep 30 &) ; true", 10);
    assertThat(output(server.run("cat /tmp/note", 10))).isEqualTo("shared\n");
    assertThat(output(server.run("ps -eo args", 10))).contains("sleep 30");
  }

  @Test
  void theSandboxShowsNoHostProcesses() {
    String ps = output(server.run("ps -eo comm", 10));
    assertThat(ps).doesNotContain("java").doesNotContain("systemd").doesNotContain("postgres");
    assertThat(output(server.run("id -un; id -u; echo $HOME; pwd", 10))).startsWith("user\n").contains("/home/user\n/home/user\n");
  }

  @Test
  void theApiKeyIsNotVisibleInside() {
    String seen = output(server.run("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; cat /proc/*/cmdline 2>/dev/null | tr '\\0' ' '", 10));
    assertThat(seen).contains("HOME=/home/user").doesNotContain(TestServer.KEY);
  }

  @Test
  void commandsCannotReachTheSupervisorsPipes() {
    // The supervisor is pid 2 in the sandbox (bwrap is pid 1); its channel to the server must be out of reach.
    String seen = output(server.run("ls /proc/2/fd >/dev/null 2>&1 && echo LISTED || echo hidden; "
        + "{ echo forged > /proc/2/fd/1; } 2>/dev/null && echo WROTE || echo refused", 10));
    assertThat(seen).isEqualTo("hidden\nrefused\n");
    // bwrap's pid 1 stays dumpable as the workspace uid: it must hold no end of the channel.
    assertThat(output(server.run("readlink /proc/1/fd/0 /proc/1/fd/1", 10))).isEqualTo("/dev/null\n/dev/null\n");
    // Nor may commands inherit the supervisor's channel descriptors.
    assertThat(output(server.run("ls /proc/self/fd", 10)).split("\n")).containsOnly("0", "1", "2", "3");
  }

  @Test
  void networkIsOffByDefault() {
    JsonNode view = server.run("exec 3<>/dev/tcp/127.0.0.1/" + server.port() + " && echo connected || echo refused", 10);
    assertThat(output(view)).contains("refused").doesNotContain("connected");
    assertThat(output(server.run("cat /sys/class/net/*/operstate 2>/dev/null; ls /sys/class/net", 10))).doesNotContain("eth0");
  }

  @Test
  void requestErrorsAreProblems() {
    TestServer.Response missing = server.post("/execute", Map.of("cwd", "/home/user"));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("detail").asString()).contains("command");
    TestServer.Response badJson = server.send(server.request("/execute").header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{not json")).build());
    assertThat(badJson.status()).isEqualTo(400);
    assertThat(badJson.json().path("title").asString()).isEqualTo("Bad Request");
    assertThat(badJson.text()).doesNotContain("at dev.sandcastle").doesNotContain("Exception");
    assertThat(server.get("/execute/nope/status").status()).isEqualTo(404);
    assertThat(server.post("/execute?wait=301", Map.of("command", "true")).status()).isEqualTo(400);
    assertThat(server.get("/no/such/route").json().path("status").asInt()).isEqualTo(404);
  }

  @Test
  void authIsRequiredExceptForHealthAndConfig() {
    var noKey = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/execute")).GET().build());
    assertThat(noKey.status()).isEqualTo(401);
    assertThat(noKey.contentType()).startsWith("application/problem+json");
    var wrongKey = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/execute")).header("Authorization", "Bearer wrong-key-123").GET().build());
    assertThat(wrongKey.status()).isEqualTo(401);
    assertThat(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/health")).GET().build()).json().path("status").asString()).isEqualTo("ok");
    assertThat(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/config")).GET().build()).json().path("features").has("terminal")).isTrue();
    assertThat(server.get("/system").json().path("prompt").asString()).contains("/home/user").contains("Network: none");
  }
}
