package dev.sandcastle.interpreter.jupyter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The client against a real jupyter-server with real IPython kernels. */
@Tag("jupyter")
class JupyterClientTest {
  static final String TOKEN = "sandcastle-test-token";
  static final Duration RUN = Duration.ofSeconds(30);
  static final String UNKNOWN = "00000000-0000-0000-0000-000000000000";

  static JupyterServer server;
  static JupyterClient client;
  static KernelSession session;

  @BeforeAll
  static void start() {
    server = JupyterServer.withToken(TOKEN);
    client = JupyterClient.connect(server.url, JupyterAuth.token(TOKEN));
    session = client.openSession(client.startKernel("python3"));
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void kernelSpecsListPython3() {
    KernelSpecs specs = client.kernelSpecs();
    assertThat(specs.names()).contains("python3");
    assertThat(specs.find("python3").orElseThrow().language()).isEqualTo("python");
    assertThat(specs.defaultName()).isEqualTo("python3");
  }

  @Test
  void stateSurvivesBetweenRunsAndOutputsStreamToTheCaller() {
    assertThat(session.execute("x = 21", RUN).status()).isEqualTo(ExecutionResult.Status.OK);

    List<Output> seen = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    ExecutionResult result = session.execute("print(x * 2)", RUN, output -> {
      seen.add(output);
      threads.add(Thread.currentThread());
    });

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.OK);
    assertThat(result.streamText("stdout")).isEqualTo("42\n");
    assertThat(seen).isEqualTo(result.outputs());
    assertThat(threads).containsOnly(Thread.currentThread());
    assertThat(result.executionCount()).isPositive();
  }

  @Test
  void anExpressionReturnsAnExecuteResult() {
    ExecutionResult result = session.execute("6 * 7", RUN);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.OK);
    assertThat(result.outputs()).singleElement().isInstanceOfSatisfying(Output.Result.class, value -> {
      assertThat(value.data()).containsEntry("text/plain", "42");
      assertThat(value.executionCount()).isEqualTo(result.executionCount()).isPositive();
    });
  }

  @Test
  void anExceptionReturnsAnErrorWithTraceback() {
    ExecutionResult result = session.execute("1/0", RUN);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.ERROR);
    Output.Error error = result.error().orElseThrow();
    assertThat(error.ename()).isEqualTo("ZeroDivisionError");
    assertThat(error.evalue()).isEqualTo("division by zero");
    assertThat(error.traceback()).isNotEmpty();
    assertThat(error.plainTraceback()).contains("ZeroDivisionError", "1/0").doesNotContain("\u001b");
    assertThat(result.outputs()).hasSize(1); // the iopub error and the failed reply give one error
    assertThat(session.execute("print('after the error')", RUN).streamText("stdout"))
        .isEqualTo("after the error\n");
  }

  @Test
  void htmlDisplayKeepsTextHtml() {
    ExecutionResult result = session.execute(
        "from IPython.display import HTML, display\ndisplay(HTML('<b>bold</b>'))", RUN);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.OK);
    assertThat(result.outputs()).singleElement().isInstanceOfSatisfying(Output.Display.class,
        display -> assertThat(display.data()).containsEntry("text/html", "<b>bold</b>")
            .containsKey("text/plain"));
  }

  @Test
  void richMimeTypesAreKeptAndUnknownOnesDropped() {
    String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    ExecutionResult result = session.execute("""
        import base64
        from IPython.display import display, Markdown, Latex, SVG, Image
        display(Markdown('# Title'))
        display(Latex(r'$x^2$'))
        display({'application/json': {'a': [1, 2]}, 'text/plain': 'j'}, raw=True)
        display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'))
        display(Image(data=base64.b64decode('%s')))
        display({'application/x-widget-ish': 'w', 'text/plain': 'fallback'}, raw=True)
        """.formatted(png), RUN);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.OK);
    List<java.util.Map<String, String>> data = result.outputs().stream()
        .map(output -> ((Output.Display) output).data()).toList();
    assertThat(data).hasSize(6);
    assertThat(data.get(0)).containsEntry("text/markdown", "# Title");
    assertThat(data.get(1)).containsEntry("text/latex", "$x^2$");
    assertThat(data.get(2)).containsEntry("application/json", "{\"a\":[1,2]}");
    assertThat(data.get(3).get("image/svg+xml")).startsWith("<svg").contains("width=\"1\"");
    assertThat(data.get(4).get("image/png").strip()).isEqualTo(png);
    assertThat(data.get(5)).containsOnlyKeys("text/plain");
  }

  @Test
  void aLargeOutputArrivesWhole() {
    ExecutionResult result = session.execute("print('x' * 300_000)", RUN);

    assertThat(result.streamText("stdout")).hasSize(300_001).startsWith("xxx").endsWith("x\n");
  }

  @Test
  void aTimeoutInterruptsTheKernelWhichStillAnswers() {
    KernelSession own = client.openSession(client.startKernel("python3"));
    own.execute("import time", RUN); // a fresh kernel may take a while to answer its first run
    long start = System.nanoTime();
    ExecutionResult result = own.execute(
        "print('started', flush=True)\ntime.sleep(30)", Duration.ofSeconds(2));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.TIMEOUT);
    assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(6));
    assertThat(result.streamText("stdout")).isEqualTo("started\n");
    assertThat(result.error().orElseThrow().ename()).isEqualTo("TimeoutError");
    ExecutionResult after = own.execute("print('alive')", RUN);
    assertThat(after.status()).isEqualTo(ExecutionResult.Status.OK);
    assertThat(after.streamText("stdout")).isEqualTo("alive\n");
    client.shutdown(own.kernelId());
  }

  @Test
  void restartForgetsTheStateAndTheSessionGoesOn() {
    KernelSession own = client.openSession(client.startKernel("python3"));
    own.execute("y = 1", RUN);

    client.restart(own.kernelId());

    ExecutionResult result = own.execute("print('y' in globals())", RUN);
    assertThat(result.streamText("stdout")).isEqualTo("False\n");
    client.shutdown(own.kernelId());
  }

  @Test
  void aDyingKernelEndsTheRunWithAnError() {
    KernelSession own = client.openSession(client.startKernel("python3"));

    ExecutionResult result = own.execute("import os; os._exit(1)", RUN);

    assertThat(result.status()).isEqualTo(ExecutionResult.Status.ERROR);
    assertThat(result.error().orElseThrow().ename()).isEqualTo("DeadKernelError");
    assertThat(own.execute("print('reborn')", RUN).streamText("stdout")).isEqualTo("reborn\n");
    client.shutdown(own.kernelId());
  }

  @Test
  void closingTheSessionEndsAWaitingRun() throws Exception {
    String kernelId = client.startKernel("python3");
    KernelSession own = client.openSession(kernelId);
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<ExecutionResult> run = CompletableFuture.supplyAsync(() -> own.execute(
        "import time\nprint('started', flush=True)\ntime.sleep(30)", RUN, output -> started.countDown()));
    assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

    own.close();

    assertThat(run).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
        .havingCause().isInstanceOf(Unavailable.class).withMessageContaining("closed");
    assertThatThrownBy(() -> own.execute("1", RUN)).isInstanceOf(Unavailable.class);
    client.shutdown(kernelId);
  }

  @Test
  void shutdownRemovesTheKernelAndEndsItsSessions() {
    String kernelId = client.startKernel("python3");
    KernelSession own = client.openSession(kernelId);
    assertThat(client.listKernels()).extracting(Kernel::id).contains(kernelId);
    assertThat(client.kernel(kernelId).orElseThrow().name()).isEqualTo("python3");

    client.shutdown(kernelId);

    assertThat(client.listKernels()).extracting(Kernel::id).doesNotContain(kernelId);
    assertThat(client.kernel(kernelId)).isEmpty();
    assertThatThrownBy(() -> own.execute("1", RUN))
        .isInstanceOf(Unavailable.class).hasMessageContaining("shut down");
  }

  @Test
  void aKernelShutDownByAnotherClientEndsTheRunAtItsTimeout() {
    String kernelId = client.startKernel("python3");
    KernelSession own = client.openSession(kernelId);
    try (JupyterClient other = JupyterClient.connect(server.url, JupyterAuth.token(TOKEN))) {
      other.shutdown(kernelId);
    }

    long start = System.nanoTime();
    assertThatThrownBy(() -> own.execute("1", Duration.ofSeconds(2)))
        .isInstanceOf(Unavailable.class).hasMessageContaining("no longer exists");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
  }

  @Test
  void unknownKernelsAndSpecsAreNotFound() {
    assertThatThrownBy(() -> client.interrupt(UNKNOWN)).isInstanceOf(NotFound.class).hasMessageContaining(UNKNOWN);
    assertThatThrownBy(() -> client.restart(UNKNOWN)).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> client.shutdown(UNKNOWN)).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> client.openSession(UNKNOWN)).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> client.shutdown("../../api/status")).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> client.startKernel("cobol"))
        .isInstanceOf(NotFound.class).hasMessageContaining("cobol").hasMessageContaining("python3");
  }

  @Test
  void aWrongTokenIsRefused() {
    assertThatThrownBy(() -> JupyterClient.connect(server.url, JupyterAuth.token("wrong-token")))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("refused the token")
        .hasMessageContaining(server.url)
        .hasMessageNotContaining("wrong-token");
  }

  @Test
  void anUnreachableOrMalformedUrlIsUnavailable() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/";
    assertThatThrownBy(() -> JupyterClient.connect(url, JupyterAuth.token(TOKEN)))
        .isInstanceOf(Unavailable.class).hasMessageContaining(url);
    assertThatThrownBy(() -> JupyterClient.connect("not a url", JupyterAuth.token(TOKEN)))
        .isInstanceOf(Unavailable.class).hasMessageContaining("not a url");
    assertThatThrownBy(() -> JupyterClient.connect(server.url + "?token=" + TOKEN, JupyterAuth.token(TOKEN)))
        .isInstanceOf(Unavailable.class).hasMessageNotContaining(TOKEN);
  }

  @Test
  void passwordLoginWorksForRestAndWebSocket() {
    try (JupyterServer locked = JupyterServer.withPassword("secret")) {
      assertThatThrownBy(() -> JupyterClient.connect(locked.url, JupyterAuth.password("guess")))
          .isInstanceOf(Unavailable.class).hasMessageContaining("refused the password");
      assertThatThrownBy(() -> JupyterClient.connect(locked.url, JupyterAuth.token("secret")))
          .isInstanceOf(Unavailable.class).hasMessageContaining("refused the token");

      try (JupyterClient viaPassword = JupyterClient.connect(locked.url, JupyterAuth.password("secret"))) {
        String kernelId = viaPassword.startKernel("python3"); // a POST: needs the XSRF header
        KernelSession own = viaPassword.openSession(kernelId); // the WebSocket: needs the cookie
        assertThat(own.execute("print('in')", RUN).streamText("stdout")).isEqualTo("in\n");
        viaPassword.shutdown(kernelId);
        assertThat(viaPassword.listKernels()).isEmpty();
      }
    }
  }

  @Test
  void aCrashedServerFailsTheRunningExecutionPromptly() throws Exception {
    try (JupyterServer doomed = JupyterServer.withToken(TOKEN);
        JupyterClient doomedClient = JupyterClient.connect(doomed.url, JupyterAuth.token(TOKEN))) {
      KernelSession own = doomedClient.openSession(doomedClient.startKernel("python3"));
      CountDownLatch started = new CountDownLatch(1);
      List<Output> seen = new CopyOnWriteArrayList<>();
      CompletableFuture<ExecutionResult> run = CompletableFuture.supplyAsync(() -> own.execute(
          "import time\nprint('started', flush=True)\ntime.sleep(30)", RUN, output -> {
            seen.add(output);
            started.countDown();
          }));
      assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

      doomed.kill();

      assertThat(run).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
          .havingCause().isInstanceOf(Unavailable.class).withMessageContaining("lost");
      assertThatThrownBy(() -> doomedClient.listKernels())
          .isInstanceOf(Unavailable.class).hasMessageContaining(doomed.url);
    }
  }
}
