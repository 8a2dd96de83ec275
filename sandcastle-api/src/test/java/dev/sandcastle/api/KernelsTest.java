package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** POST /execute_code against real kernels in a real sandbox. */
@Tag("bwrap")
class KernelsTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(512L << 20, 128, 0), ExecSettings.defaults());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonNode code(String code, Object... extra) {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("code", code);
    for (int i = 0; i < extra.length; i += 2) {
      body.put((String) extra[i], extra[i + 1]);
    }
    TestServer.Response response = server.post("/execute_code", body);
    assertThat(response.status()).as(response.text()).isEqualTo(200);
    return response.json();
  }

  static List<String> types(JsonNode result) {
    List<String> types = new ArrayList<>();
    result.path("outputs").forEach(o -> types.add(o.path("output_type").asString()));
    return types;
  }

  @Test
  void statePersistsBetweenRuns() {
    assertThat(code("x = 21").path("status").asString()).isEqualTo("success");
    JsonNode result = code("print(x * 2)\nx * 3");
    assertThat(result.path("stdout").asString()).isEqualTo("42\n");
    assertThat(result.path("result").asString()).isEqualTo("63");
    assertThat(types(result)).containsExactly("stream", "execute_result");
  }

  @Test
  void aDataFrameComesBackAsHtml() {
    JsonNode result = code("import pandas as pd\npd.DataFrame({'city': ['Oslo', 'Lima'], 'pop': [0.7, 10.0]})");
    JsonNode value = result.path("outputs").get(0);
    assertThat(value.path("output_type").asString()).isEqualTo("execute_result");
    assertThat(value.path("data").path("text/html").asString()).contains("<table").contains("Oslo");
  }

  @Test
  void aPlotComesBackAsPngWithoutShow() {
    JsonNode result = code("import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares');");
    JsonNode display = null;
    for (JsonNode output : result.path("outputs")) {
      if (output.path("output_type").asString().equals("display_data")) {
        display = output;
      }
    }
    assertThat(display).as(result.toString()).isNotNull();
    byte[] png = java.util.Base64.getDecoder().decode(display.path("data").path("image/png").asString());
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
  }

  @Test
  void anExceptionYieldsATracebackNamingTheLine() {
    JsonNode result = code("a = 1\nb = a / 0\n");
    assertThat(result.path("status").asString()).isEqualTo("error");
    assertThat(result.path("error").asString()).isEqualTo("ZeroDivisionError: division by zero");
    JsonNode error = result.path("outputs").get(0);
    assertThat(error.path("ename").asString()).isEqualTo("ZeroDivisionError");
    String plain = String.join("\n", error.path("traceback_plain").valueStream().map(JsonNode::asString).toList());
    assertThat(plain).contains("line 2").doesNotContain("\u001b[");
    assertThat(result.path("stderr").asString()).contains("ZeroDivisionError");
  }

  @Test
  void aSleepingCellIsInterruptedByItsTimeoutAndTheKernelLives() {
    code("survivor = 'still here'", "session_id", "timeouts");
    long t0 = System.nanoTime();
    JsonNode result = code("import time\ntime.sleep(30)", "session_id", "timeouts", "timeout", 1);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
    assertThat(result.path("status").asString()).isEqualTo("timeout");
    assertThat(result.path("kernel_lost").asBoolean()).isFalse();
    assertThat(code("survivor", "session_id", "timeouts").path("result").asString()).isEqualTo("'still here'");
  }

  @Test
  void aMemoryBombEndsWithAClearErrorAndTheNextRunGetsAFreshKernel() {
    code("before = 1", "session_id", "bomb");
    JsonNode result = code("a = []\nwhile True:\n    a.append(' ' * 10**6)", "session_id", "bomb");
    assertThat(result.path("status").asString()).isEqualTo("error");
    assertThat(result.path("kernel_lost").asBoolean()).isTrue();
    assertThat(result.path("error").asString()).contains("out of memory");
    JsonNode next = code("'before' in globals()", "session_id", "bomb");
    assertThat(next.path("status").asString()).isEqualTo("success");
    assertThat(next.path("result").asString()).isEqualTo("False");
    assertThat(next.path("stderr").asString()).contains("fresh kernel");
  }

  @Test
  void hugeOutputIsBounded() {
    JsonNode result = code("for i in range(10**6):\n    print('x' * 1000)", "session_id", "flood", "timeout", 60);
    assertThat(result.path("stdout").asString().length()).isBetween(1 << 19, (1 << 20) + 1000);
    assertThat(result.path("stderr").asString()).contains("output truncated");
    assertThat(code("1 + 1", "session_id", "flood").path("result").asString()).isEqualTo("2");
  }

  @Test
  void aCellThatBypassesTheKernelsOwnLimitIsStillBoundedByTheServer() {
    // Untrusted code can write protocol lines to its kernel's pipe directly, past kernel.py's counter.
    JsonNode result = code("import sys\nk = sys.stdout.kernel\nline = b'A' * (1 << 20)\n"
        + "for i in range(64):\n    k.out.write(b'{\"type\":\"stream\",\"name\":\"stdout\",\"id\":\"' + k.cell.encode() + b'\",\"text\":\"' + line + b'\"}\\n')",
        "session_id", "forger", "timeout", 60);
    assertThat(result.path("stdout").asString().length()).isLessThanOrEqualTo(2 << 20);
    assertThat(result.path("stderr").asString()).contains("output truncated");
    assertThat(code("1 + 1", "session_id", "forger").path("result").asString()).isEqualTo("2");
  }

  @Test
  void sessionsHaveTheirOwnKernels() {
    code("secret = 'a'", "session_id", "chat-a");
    assertThat(code("'secret' in globals()", "session_id", "chat-b").path("result").asString()).isEqualTo("False");
    assertThat(code("secret", "session_id", "chat-a").path("result").asString()).isEqualTo("'a'");
  }

  @Test
  void bashRunsInTheWorkspaceShell() {
    JsonNode result = code("echo $((6*7)); echo oops >&2; exit 3", "language", "bash");
    assertThat(result.path("status").asString()).isEqualTo("error");
    assertThat(result.path("stdout").asString()).isEqualTo("42\n");
    assertThat(result.path("stderr").asString()).isEqualTo("oops\n");
    assertThat(result.path("exit_code").asInt()).isEqualTo(3);
  }

  @Test
  void theKernelSeesTheWorkspaceFilesAndUser() {
    server.post("/files/write", Map.of("path", "data.csv", "content", "a,b\n1,2\n3,4\n"));
    JsonNode result = code("import os, pandas as pd\nprint(os.getcwd(), os.getuid() != 0)\npd.read_csv('data.csv')['b'].sum()");
    assertThat(result.path("stdout").asString()).isEqualTo("/home/user True\n");
    assertThat(result.path("result").asString()).isEqualTo("6");
  }

  @Test
  void streamingSendsOutputsAsTheyHappen() throws Exception {
    HttpRequest request = server.request("/execute_code?stream=true").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"import time\\nfor i in range(3):\\n    print(i, flush=True)\\n    time.sleep(0.3)\",\"session_id\":\"stream\"}"))
        .build();
    HttpResponse<java.util.stream.Stream<String>> response = server.client.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
    List<Long> arrivals = new ArrayList<>();
    List<JsonNode> lines = new ArrayList<>();
    long t0 = System.nanoTime();
    response.body().forEach(line -> {
      arrivals.add((System.nanoTime() - t0) / 1_000_000);
      lines.add(TestServer.JSON.readTree(line));
    });
    assertThat(lines.getLast().path("type").asString()).isEqualTo("result");
    assertThat(lines.getLast().path("stdout").asString()).isEqualTo("0\n1\n2\n");
    assertThat(lines.getFirst().path("type").asString()).isEqualTo("output");
    // The first output arrived well before the end: it was streamed, not buffered.
    assertThat(arrivals.getLast() - arrivals.getFirst()).isGreaterThan(400);
  }

  @Test
  void pipSaysClearlyThatThereIsNoNetwork() {
    JsonNode result = code("%pip install requests", "session_id", "pip");
    assertThat(result.path("status").asString()).isEqualTo("error");
    assertThat(result.path("error").asString()).contains("no network access").contains("--network host");
  }

  @Test
  void badRequestsAreProblems() {
    assertThat(server.post("/execute_code", Map.of("language", "python")).status()).isEqualTo(400);
    assertThat(server.post("/execute_code", Map.of("code", "1", "language", "cobol")).status()).isEqualTo(400);
    assertThat(server.post("/execute_code", Map.of("code", "1", "timeout", -1)).status()).isEqualTo(400);
  }
}
