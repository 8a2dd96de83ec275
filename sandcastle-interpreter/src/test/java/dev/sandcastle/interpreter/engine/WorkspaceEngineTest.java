package dev.sandcastle.interpreter.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.kernel.KernelInfo;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.kernel.KernelSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The workspace engine against real kernels in a real bubblewrap sandbox. */
@Tag("bwrap")
class WorkspaceEngineTest {
  static final Duration RUN = Duration.ofSeconds(60);
  static final int MAX_KERNELS = 3;

  static TestWorkspace sandbox;
  final WorkspaceEngine engine = new WorkspaceEngine();

  @BeforeAll
  static void start() {
    sandbox = new TestWorkspace(new KernelSettings(MAX_KERNELS, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)));
  }

  @AfterAll
  static void stop() {
    sandbox.close();
  }

  @AfterEach
  void shutDownKernels() {
    KernelService kernels = sandbox.workspace.kernels();
    for (KernelInfo kernel : kernels.list()) {
      kernels.shutdown(kernel.name());
    }
  }

  static EngineContext chat(String chatId) {
    return new EngineContext("alice", chatId, sandbox.workspace);
  }

  CodeRun run(String chatId, String code) throws InterruptedException {
    return engine.run(chat(chatId), code, RUN, output -> {});
  }

  @Test
  void variablesPersistAcrossRunsOfOneChatButNotAcrossChats() throws InterruptedException {
    assertThat(run("chat-a", "x = 21").status()).isEqualTo(CodeRun.Status.OK);

    CodeRun same = run("chat-a", "print(x * 2)");
    CodeRun other = run("chat-b", "print(x * 2)");

    assertThat(same.status()).isEqualTo(CodeRun.Status.OK);
    assertThat(same.stdout()).isEqualTo("42\n");
    assertThat(other.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(other.stderr()).contains("NameError").contains("'x' is not defined");
    assertThat(sandbox.workspace.kernels().list()).extracting(KernelInfo::name)
        .containsExactlyInAnyOrder(WorkspaceEngine.kernelName("chat-a"), WorkspaceEngine.kernelName("chat-b"));
  }

  @Test
  void streamsResultAndFigureAreMappedAndStreamedLiveOnTheCallingThread() throws InterruptedException {
    List<CodeOutput> seen = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    CodeRun run = engine.run(chat("mapping"), """
        import sys
        import matplotlib.pyplot as plt
        print('to stdout')
        print('to stderr', file=sys.stderr)
        plt.plot([1, 4, 9])
        plt.show()
        6 * 7
        """, RUN, output -> {
          seen.add(output);
          threads.add(Thread.currentThread());
        });

    assertThat(run.status()).isEqualTo(CodeRun.Status.OK);
    assertThat(run.stdout()).isEqualTo("to stdout\n");
    assertThat(run.stderr()).isEqualTo("to stderr\n");
    assertThat(run.resultText()).contains("42");
    CodeOutput.Display figure = run.outputs().stream()
        .filter(CodeOutput.Display.class::isInstance).map(CodeOutput.Display.class::cast).findFirst().orElseThrow();
    byte[] png = Base64.getDecoder().decode((String) figure.data().get("image/png"));
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    assertThat(seen).containsAll(run.outputs());
    assertThat(threads).containsOnly(Thread.currentThread());
    assertThat(run.duration()).isPositive();
  }

  @Test
  void anExceptionEndsWithStatusErrorAndItsTracebackOnStderr() throws InterruptedException {
    CodeRun run = run("errors", "def f():\n    return 1 / 0\nprint('before')\nf()");

    assertThat(run.status()).isEqualTo(CodeRun.Status.ERROR);
    assertThat(run.stdout()).isEqualTo("before\n");
    assertThat(run.stderr()).contains("ZeroDivisionError").contains("return 1 / 0").doesNotContain("\u001b[");
    assertThat(run.outputs().getLast()).isInstanceOfSatisfying(CodeOutput.Error.class,
        error -> assertThat(error.name()).isEqualTo("ZeroDivisionError"));
  }

  @Test
  void aRunPastItsTimeoutIsInterruptedAndTheKernelKeepsItsState() throws InterruptedException {
    run("slow", "y = 5");
    List<CodeOutput> seen = new ArrayList<>();
    CodeRun run = engine.run(chat("slow"), "import time\nprint('started', flush=True)\ntime.sleep(30)",
        Duration.ofMillis(1500), seen::add);

    assertThat(run.status()).isEqualTo(CodeRun.Status.TIMEOUT);
    assertThat(run.duration()).isLessThan(Duration.ofSeconds(10));
    assertThat(run.stdout()).isEqualTo("started\n");
    assertThat(run.stderr()).contains("TimeoutError");
    assertThat(seen.getLast()).isInstanceOf(CodeOutput.Error.class);
    assertThat(run("slow", "print(y)").stdout()).isEqualTo("5\n");
  }

  @Test
  void interruptingTheCallerInterruptsTheCode() throws Exception {
    run("cancel", "z = 1");
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller = Thread.ofVirtual().start(() -> {
      try {
        engine.run(chat("cancel"), "import time\nprint('go', flush=True)\ntime.sleep(60)", RUN, output -> started.countDown());
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    caller.join(Duration.ofSeconds(10));

    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    long before = System.nanoTime();
    assertThat(run("cancel", "print(z)").stdout()).isEqualTo("1\n");
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void whenTheWorkspaceIsFullTheChatKernelIdleLongestMakesRoom() throws InterruptedException {
    for (int i = 0; i < MAX_KERNELS; i++) {
      run("full-" + i, "v = " + i);
    }

    CodeRun newcomer = run("full-new", "print('room')");

    assertThat(newcomer.stdout()).isEqualTo("room\n");
    assertThat(sandbox.workspace.kernels().list()).extracting(KernelInfo::name)
        .doesNotContain(WorkspaceEngine.kernelName("full-0"))
        .contains(WorkspaceEngine.kernelName("full-1"), WorkspaceEngine.kernelName("full-new"));
    assertThat(run("full-1", "print(v)").stdout()).isEqualTo("1\n");
  }

  @Test
  void withoutAWorkspaceTheEngineIsUnavailable() {
    assertThatThrownBy(() -> engine.run(new EngineContext("bob", "c1"), "1", RUN, output -> {}))
        .isInstanceOf(Unavailable.class).hasMessageContaining("workspace");
    assertThatThrownBy(() -> engine.run(chat("c1"), "1", Duration.ZERO, output -> {}))
        .isInstanceOf(BadRequest.class);
  }

  @Test
  void kernelNamesAreValidForAnyChatIdAndDistinct() {
    assertThat(WorkspaceEngine.kernelName("3f2a-chat_1.x")).isEqualTo("chat-3f2a-chat_1.x");
    String odd = WorkspaceEngine.kernelName("chat id with spaces / and ünïcode");
    String longId = WorkspaceEngine.kernelName("x".repeat(500));
    for (String name : List.of(odd, longId)) {
      assertThat(KernelService.validName(name)).startsWith("chat_");
    }
    assertThat(odd).isNotEqualTo(longId).isEqualTo(WorkspaceEngine.kernelName("chat id with spaces / and ünïcode"));
  }
}
