package dev.sandcastle.interpreter.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.interpreter.jupyter.JupyterAuth;
import dev.sandcastle.interpreter.jupyter.JupyterClient;
import dev.sandcastle.interpreter.jupyter.JupyterServer;
import dev.sandcastle.interpreter.jupyter.Kernel;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The Jupyter engine against a real jupyter-server with real IPython kernels. */
@Tag("jupyter")
class JupyterEngineTest {
  static final String TOKEN = "sandcastle-engine-token";
  static final Duration RUN = Duration.ofSeconds(30);
  // Most tests share alice's "shared" chat: starting kernels is what takes time here.

  static JupyterServer server;
  static JupyterClient observer;
  static JupyterEngine engine;

  @BeforeAll
  static void start() {
    server = JupyterServer.withToken(TOKEN);
    observer = JupyterClient.connect(server.url, JupyterAuth.token(TOKEN));
    engine = new JupyterEngine(new JupyterSettings(server.url, TOKEN));
  }

  @AfterAll
  static void stop() {
    engine.close();
    observer.close();
    server.close();
  }

  static Set<String> serverKernels() {
    return observer.listKernels().stream().map(Kernel::id).collect(Collectors.toSet());
  }

  static CodeRun run(JupyterEngine engine, String user, String chat, String code) throws InterruptedException {
    return engine.run(new EngineContext(user, chat), code, RUN, output -> {});
  }

  @Test
  void aVariableIsKeptAcrossRunsOfOneChatInOneKernel() throws InterruptedException {
    assertThat(run(engine, "alice", "shared", "x = 21").status()).isEqualTo(CodeRun.Status.OK);
    Set<String> before = serverKernels();
    List<Thread> threads = new ArrayList<>();
    CodeRun second = engine.run(new EngineContext("alice", "shared"), "print(x * 2)\nx * 3", RUN,
        output -> threads.add(Thread.currentThread()));
    CodeRun otherChat = run(engine, "alice", "other", "x");
    CodeRun otherUser = run(engine, "bob", "shared", "x");

    assertThat(second.status()).isEqualTo(CodeRun.Status.OK);
    assertThat(second.stdout()).isEqualTo("42\n");
    assertThat(second.resultText()).contains("63");
    assertThat(threads).isNotEmpty().containsOnly(Thread.currentThread());
    assertThat(otherChat.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(otherChat.stderr()).contains("NameError");
    assertThat(otherUser.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(serverKernels()).hasSize(before.size() + 2); // a kernel per (user, chat), not per run
  }

  @Test
  void aRunPastItsTimeoutIsInterruptedAndTheKernelKeepsItsState() throws InterruptedException {
    run(engine, "alice", "shared", "y = 7");
    CodeRun run = engine.run(new EngineContext("alice", "shared"),
        "import time\nprint('started', flush=True)\ntime.sleep(60)", Duration.ofMillis(2000), output -> {});

    assertThat(run.status()).isEqualTo(CodeRun.Status.TIMEOUT);
    assertThat(run.duration()).isLessThan(Duration.ofSeconds(10));
    assertThat(run.stdout()).isEqualTo("started\n");
    assertThat(run.stderr()).contains("TimeoutError");
    CodeRun after = run(engine, "alice", "shared", "print(y)");
    assertThat(after.stdout()).isEqualTo("7\n");
    assertThat(after.duration()).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void anExceptionEndsWithStatusErrorAndAPlainTraceback() throws InterruptedException {
    CodeRun run = run(engine, "alice", "shared", "print('before')\n1 / 0");

    assertThat(run.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(run.stdout()).isEqualTo("before\n");
    assertThat(run.stderr()).contains("ZeroDivisionError").doesNotContain("\u001b[");
    assertThat(run.outputs().getLast()).isInstanceOf(CodeOutput.Error.class);
  }

  @Test
  void everyMimeTypeIsKept() throws InterruptedException {
    CodeRun run = run(engine, "alice", "shared", """
        from IPython.display import display, HTML, JSON
        import matplotlib.pyplot as plt
        display(HTML('<b>bold</b>'))
        display(JSON({'answer': 42}))
        plt.plot([1, 2, 3])
        plt.show()
        """);

    assertThat(run.status()).as(run.stderr()).isEqualTo(CodeRun.Status.OK);
    List<Map<String, Object>> bundles = run.outputs().stream()
        .filter(CodeOutput.Display.class::isInstance).map(output -> ((CodeOutput.Display) output).data()).toList();
    assertThat(bundles).anySatisfy(data -> assertThat(data.get("text/html")).isEqualTo("<b>bold</b>"));
    assertThat(bundles).anySatisfy(data -> assertThat(data.get("application/json")).isEqualTo(Map.of("answer", 42)));
    assertThat(bundles).anySatisfy(data -> assertThat(data.get("image/png")).isInstanceOfSatisfying(String.class,
        png -> assertThat(Base64.getDecoder().decode(png)).startsWith(0x89, 'P', 'N', 'G')));
  }

  @Test
  void idleKernelsAreShutDownAndTheChatStartsAfreshWithANote() throws InterruptedException {
    try (JupyterEngine shortLived = new JupyterEngine(new JupyterSettings(server.url, JupyterAuth.token(TOKEN),
        "python3", Duration.ofMillis(1500), 4, 4))) {
      Set<String> before = serverKernels();
      run(shortLived, "carol", "idle", "z = 1");
      Set<String> started = serverKernels();
      started.removeAll(before);
      assertThat(started).hasSize(1);

      await().atMost(Duration.ofSeconds(20)).until(() -> !serverKernels().contains(started.iterator().next()));

      CodeRun again = run(shortLived, "carol", "idle", "z");
      assertThat(again.status()).isEqualTo(CodeRun.Status.ERROR);
      assertThat(again.stderr()).contains("fresh kernel").contains("NameError");
    }
  }

  @Test
  void theKernelIdleLongestMakesRoomAndCloseShutsEverythingDown() throws InterruptedException {
    Set<String> before = serverKernels();
    JupyterEngine small = new JupyterEngine(new JupyterSettings(server.url, JupyterAuth.token(TOKEN),
        "python3", Duration.ofMinutes(5), 1, 1));
    try {
      run(small, "dave", "first", "a = 1");
      run(small, "dave", "second", "b = 2");

      assertThat(small.kernelCount()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> serverKernels().size() == before.size() + 1);
      assertThat(run(small, "dave", "second", "print(b)").stdout()).isEqualTo("2\n");
    } finally {
      small.close();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> serverKernels().equals(before));
    assertThatThrownBy(() -> run(small, "dave", "second", "1")).isInstanceOf(Unavailable.class);
  }

  @Test
  void aUsersNewChatBeyondTheirShareRetiresTheirOwnOldestKernelNotSomeoneElses() throws InterruptedException {
    JupyterEngine shared = new JupyterEngine(new JupyterSettings(server.url, JupyterAuth.token(TOKEN),
        "python3", Duration.ofMinutes(5), 3, 2));
    try {
      run(shared, "erin", "only", "e = 5");
      run(shared, "frank", "one", "f1 = 1");
      run(shared, "frank", "two", "f2 = 2");
      run(shared, "frank", "three", "f3 = 3");

      assertThat(shared.kernelCount()).as("frank keeps two, erin her one").isEqualTo(3);
      assertThat(run(shared, "erin", "only", "print(e)").stdout()).as("erin's kernel was not taken").isEqualTo("5\n");
      assertThat(run(shared, "frank", "three", "print(f3)").stdout()).isEqualTo("3\n");
      CodeRun first = run(shared, "frank", "one", "f1");
      assertThat(first.stderr()).as("frank's oldest went").contains("fresh kernel").contains("NameError");
    } finally {
      shared.close();
    }
  }

  @Test
  void anUnreachableServerMakesTheEngineUnavailable() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (JupyterEngine nowhere = new JupyterEngine(new JupyterSettings("http://127.0.0.1:" + port + "/", TOKEN))) {
      assertThatThrownBy(() -> run(nowhere, "erin", "c", "1"))
          .isInstanceOf(Unavailable.class).hasMessageNotContaining(TOKEN);
    }
  }
}
