package dev.sandcastle.app.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.core.workspace.WorkspaceSettings;
import dev.sandcastle.interpreter.chat.ChatCaller;
import dev.sandcastle.interpreter.chat.ChatService;
import dev.sandcastle.interpreter.chat.ChatSettings;
import dev.sandcastle.interpreter.chat.OutputStore;
import dev.sandcastle.interpreter.engine.CodeRun;
import dev.sandcastle.interpreter.engine.EngineContext;
import dev.sandcastle.interpreter.engine.WorkspaceEngine;
import dev.sandcastle.interpreter.openai.Chunks;
import dev.sandcastle.interpreter.openai.OpenAiClient;
import dev.sandcastle.interpreter.openai.ToolCall;
import dev.sandcastle.interpreter.openai.Upstream;
import dev.sandcastle.interpreter.openai.Upstreams;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sandcastle bench interpreter}: what the code interpreter adds to a round (the model asks
 * for code, the code runs, the output goes back to the model) over the kernel round trip alone.
 * Everything runs in this JVM, with no HTTP layer of ours in front: a warm workspace kernel, the
 * chat service, and a fake OpenAI-compatible model on a loopback port that asks for {@code x = 1}
 * once and then answers in text. The figures are percentiles of one run; the floors are measured
 * in the same run, interleaved with the chats, so all of them see the same machine. Prints
 * figures; asserts nothing (but stops when an answer is not the expected one).
 */
public final class InterpreterBenchmark {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String CODE = "x = 1";
  private static final String CHAT = "bench";
  /** The model that asks for code once, then answers. */
  private static final String CODING = "bench-code";
  /** The model that only ever answers in text. */
  private static final String TALKING = "bench-text";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final long WARM_UP_NANOS = 12_000_000_000L;
  /** On a busy machine, stop warming up after this long (the whole run stays within about 3 minutes). */
  private static final long WARM_UP_MAX_NANOS = 60_000_000_000L;
  private static final int WARM_UP_ROUNDS = 2000;
  private static final int RUNS = 3000;

  private InterpreterBenchmark() {}

  /** Runs the benchmark, printing to {@code out}; returns the process exit status (0, or 1 when it failed). */
  public static int run(PrintWriter out) {
    return Figures.run(out, InterpreterBenchmark::all);
  }

  private static void all(PrintWriter out) throws Exception {
    out.printf("Sandcastle interpreter benchmark (%d cores; medians and percentiles of this run)%n",
        Runtime.getRuntime().availableProcessors());
    out.printf("  code '%s' in a warm workspace kernel (bwrap); a fake model on loopback; in-process, no HTTP server of ours%n", CODE);
    out.flush();
    Path temp = Files.createTempDirectory("sandcastle-bench-interpreter",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try (FakeModel model = FakeModel.start();
        Workspace workspace = workspace(temp);
        OpenAiClient client = new OpenAiClient(Upstreams.of(List.of(new Upstream("fake", model.baseUrl(), "", List.of(CODING, TALKING)))));
        WorkspaceEngine engine = new WorkspaceEngine()) {
      ChatService chat = new ChatService(client, Map.of(WorkspaceEngine.NAME, engine),
          new ChatSettings(4, WorkspaceEngine.NAME, false, TIMEOUT));
      Bench bench = new Bench(model, workspace, client, engine, chat);
      bench.once(); // the kernel starts here (not measured)
      // The JIT settles after some thousands of rounds: measure a server that has been running.
      long warmStart = System.nanoTime();
      int warm = 0;
      while ((warm < WARM_UP_ROUNDS || System.nanoTime() - warmStart < WARM_UP_NANOS) && System.nanoTime() - warmStart < WARM_UP_MAX_NANOS) {
        bench.once();
        warm++;
      }
      out.printf("  warm-up: %d iterations in %.0f s; then %d measured iterations, each of the five below once, in random order%n",
          warm, (System.nanoTime() - warmStart) / 1e9, RUNS);
      out.flush();
      model.resetTimes();
      double[][] times = new double[Bench.KINDS][RUNS];
      for (int i = 0; i < RUNS; i++) {
        bench.once(times, i);
      }
      bench.report(out, times);
    } finally {
      deleteTree(temp);
    }
  }

  /** What one iteration measures, interleaved so every figure sees the same machine. */
  private static final class Bench {
    static final int KERNEL = 0;
    static final int ENGINE = 1;
    static final int MODEL_CALL = 2;
    static final int TEXT_CHAT = 3;
    static final int CODE_CHAT = 4;
    static final int KINDS = 5;

    final FakeModel model;
    final Workspace workspace;
    final OpenAiClient client;
    final WorkspaceEngine engine;
    final ChatService chat;
    final Upstream upstream;
    final EngineContext context;
    final ChatCaller caller;
    final String kernel = WorkspaceEngine.kernelName(CHAT);
    final ObjectNode codeRequest;
    final ObjectNode textRequest;
    final ObjectNode modelRequest;
    final int[] order = {KERNEL, ENGINE, MODEL_CALL, TEXT_CHAT, CODE_CHAT};
    final Random random = new Random(7);

    Bench(FakeModel model, Workspace workspace, OpenAiClient client, WorkspaceEngine engine, ChatService chat) {
      this.model = model;
      this.workspace = workspace;
      this.client = client;
      this.engine = engine;
      this.chat = chat;
      this.upstream = client.upstreams().all().getFirst();
      this.context = new EngineContext("bench-user", CHAT, workspace);
      this.caller = new ChatCaller("bench-user", Optional.of(workspace), new OutputStore(Optional.of(workspace), name -> "/outputs/" + name));
      this.codeRequest = request(CODING);
      this.textRequest = request(TALKING);
      // What the chat service sends the model in its first call: the messages and the execute_code tool.
      this.modelRequest = request(CODING);
      modelRequest.remove("chat_id");
      modelRequest.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "execute_code")
          .put("description", "Execute Python code").putObject("parameters").put("type", "object");
    }

    static ObjectNode request(String model) {
      ObjectNode body = JSON.createObjectNode();
      body.put("model", model);
      body.put("chat_id", CHAT);
      body.put("stream", true);
      body.putArray("messages").addObject().put("role", "user").put("content", "Set x to 1, please.");
      return body;
    }

    void once() throws Exception {
      once(null, 0);
    }

    /**
     * One of each, in a random order, so that none always follows the same other one (what ran
     * before, e.g. a kernel still finishing its last message, slows the next one down on a small
     * machine). The times go to {@code times[kind][i]} when given.
     */
    void once(double[][] times, int i) throws Exception {
      for (int k = KINDS - 1; k > 0; k--) {
        int j = random.nextInt(k + 1);
        int swap = order[k];
        order[k] = order[j];
        order[j] = swap;
      }
      for (int kind : order) {
        long started = System.nanoTime();
        measure(kind);
        if (times != null) {
          times[kind][i] = (System.nanoTime() - started) / 1e6;
        }
      }
    }

    private void measure(int kind) throws Exception {
      switch (kind) {
        case KERNEL -> {
          CellResult cell = workspace.kernels().execute(kernel, CODE, TIMEOUT, true, output -> {});
          if (!cell.status().equals("ok")) {
            throw new IllegalStateException("the kernel answered " + cell.status());
          }
        }
        case ENGINE -> {
          CodeRun run = engine.run(context, CODE, TIMEOUT, output -> {});
          if (run.status() != CodeRun.Status.OK) {
            throw new IllegalStateException("the engine answered " + run.status());
          }
        }
        case MODEL_CALL -> {
          ToolCallCheck call = new ToolCallCheck();
          client.stream(upstream, modelRequest, call);
          if (!call.sawCall) {
            throw new IllegalStateException("the model did not ask for code");
          }
        }
        case TEXT_CHAT -> {
          AnswerCheck text = new AnswerCheck();
          chat.complete(textRequest, caller, text);
          text.expect(0);
        }
        case CODE_CHAT -> {
          AnswerCheck code = new AnswerCheck();
          chat.complete(codeRequest, caller, code);
          code.expect(1);
        }
        default -> throw new IllegalArgumentException("kind " + kind);
      }
    }

    void report(PrintWriter out, double[][] times) {
      out.println();
      out.println("Floors:");
      line(out, "(1) kernel round trip: WorkspaceEngine.run, warm kernel", times[ENGINE]);
      line(out, "    of which KernelService.execute alone", times[KERNEL]);
      line(out, "(2) chat completion, model answers in text only", times[TEXT_CHAT]);
      line(out, "    one model call alone: OpenAiClient.stream, tool call", times[MODEL_CALL]);
      double[] server = model.handlerTimes();
      out.printf("  %-58s p50 %.3f ms, p90 %.3f ms, p99 %.3f ms (n=%d)%n", "    the fake model's own handler time per call",
          Figures.percentile(server, 50), Figures.percentile(server, 90), Figures.percentile(server, 99), server.length);
      out.println();
      out.println("Interpreter:");
      line(out, "(3) chat completion with one code round", times[CODE_CHAT]);
      double p50 = Figures.percentile(times[CODE_CHAT], 50) - Figures.percentile(times[TEXT_CHAT], 50) - Figures.percentile(times[ENGINE], 50);
      double p90 = Figures.percentile(times[CODE_CHAT], 90) - Figures.percentile(times[TEXT_CHAT], 90) - Figures.percentile(times[ENGINE], 90);
      out.printf("  %-58s p50 %.3f ms (target < 2 ms: %s), p90 ~%.3f ms (difference of p90s, approximate)%n",
          "(4) overhead per round = (3) - (2) - (1)", p50, p50 < 2 ? "met" : "MISSED", p90);
      double call50 = Figures.percentile(times[MODEL_CALL], 50);
      double call90 = Figures.percentile(times[MODEL_CALL], 90);
      out.printf("  %-58s p50 %.3f ms, p90 ~%.3f ms%n", "    of which the model's tool-call answer (one model call)", call50, call90);
      out.printf("  %-58s p50 %.3f ms, p90 ~%.3f ms%n", "    the interpreter's own work: (4) - one model call", p50 - call50, p90 - call90);
      out.flush();
    }

    private static void line(PrintWriter out, String what, double[] millis) {
      out.printf("  %-58s p50 %.3f ms, p90 %.3f ms, p99 %.3f ms (n=%d)%n", what, Figures.percentile(millis, 50), Figures.percentile(millis, 90),
          Figures.percentile(millis, 99), millis.length);
    }
  }

  /** Checks that the model's stream carried a tool call. */
  private static final class ToolCallCheck implements dev.sandcastle.interpreter.openai.ChunkHandler {
    boolean sawCall;

    @Override
    public void chunk(ObjectNode chunk) {
      sawCall |= chunk.path("choices").path(0).path("delta").has("tool_calls");
    }
  }

  /** Checks a completion: its end, and how many code runs it reported, each successful. */
  private static final class AnswerCheck implements dev.sandcastle.interpreter.chat.ChatSink {
    int chunks;
    int runs;
    int failedRuns;
    String finish = "";

    @Override
    public void chunk(ObjectNode chunk) {
      chunks++;
      JsonNode event = chunk.get("sandcastle");
      if (event != null && event.path("type").asString("").equals("code_finished")) {
        runs++;
        if (!event.path("status").asString("").equals("ok")) {
          failedRuns++;
        }
      }
      String reason = chunk.path("choices").path(0).path("finish_reason").asString("");
      if (!reason.isEmpty()) {
        finish = reason;
      }
    }

    void expect(int codeRuns) {
      if (runs != codeRuns || failedRuns != 0 || !finish.equals("stop")) {
        throw new IllegalStateException("unexpected answer: " + runs + " runs (" + failedRuns + " failed), finish '" + finish + "'");
      }
    }
  }

  /**
   * An OpenAI-compatible model on a loopback port, answering {@code POST /v1/chat/completions}
   * with a stream: model {@value #CODING} asks for {@code execute_code} with {@value #CODE} unless
   * the last message is a tool result, which it answers in text; model {@value #TALKING} always
   * answers in text. Chunks are written and flushed one by one, as real servers do. Records how long
   * each of its handlers took. Requests are handled on virtual threads.
   */
  private static final class FakeModel implements AutoCloseable {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicInteger counter = new AtomicInteger();
    private final ConcurrentLinkedQueue<Double> handlerTimes = new ConcurrentLinkedQueue<>();

    private FakeModel(HttpServer server, ExecutorService executor) {
      this.server = server;
      this.executor = executor;
    }

    static FakeModel start() throws IOException {
      // Real model servers turn Nagle's algorithm off; the JDK's server needs asking (read once, at its first use).
      System.setProperty("sun.net.httpserver.nodelay", "true");
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
      server.setExecutor(executor);
      FakeModel model = new FakeModel(server, executor);
      server.createContext("/v1/chat/completions", model::handle);
      server.start();
      return model;
    }

    String baseUrl() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    void resetTimes() {
      handlerTimes.clear();
    }

    /** From a request's arrival to its last chunk flushed, in ms. */
    double[] handlerTimes() {
      return handlerTimes.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private void handle(HttpExchange exchange) throws IOException {
      long started = System.nanoTime();
      try (exchange) {
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        JsonNode messages = body.path("messages");
        String model = body.path("model").asString("");
        boolean answer = model.equals(TALKING) || messages.path(messages.size() - 1).path("role").asString("").equals("tool");
        String id = "chatcmpl-fake-" + counter.incrementAndGet();
        long created = System.currentTimeMillis() / 1000;
        List<ObjectNode> chunks = answer
            ? List.of(Chunks.role(id, model, created), Chunks.content(id, model, created, "x is 1 now."), Chunks.finish(id, model, created, "stop"))
            : List.of(Chunks.role(id, model, created),
                Chunks.toolCalls(id, model, created, List.of(new ToolCall("call_" + id, "execute_code", JSON.writeValueAsString(Map.of("code", CODE))))),
                Chunks.finish(id, model, created, "tool_calls"));
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (ObjectNode chunk : chunks) {
          out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
        out.write(DONE);
        out.flush();
        handlerTimes.add((System.nanoTime() - started) / 1e6); // before the stream ends, so before the client goes on
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.close();
    }
  }

  private static Workspace workspace(Path temp) {
    int uid = Sandbox.currentUid() == 0 ? 100_000 : -1;
    return new Workspace(new WorkspaceSettings("bench-interpreter-" + ProcessHandle.current().pid(), temp.resolve("home"),
        temp.resolve("state"), new SandboxPolicy(SandboxPolicy.Mechanism.BWRAP, SandboxPolicy.Network.NONE, new Limits(512L << 20, 128, 0)),
        uid, uid, ExecSettings.defaults(), FileLimits.defaults(),
        new KernelSettings(4, Duration.ofMinutes(10), TIMEOUT, Duration.ofSeconds(2))), Cgroups.detect());
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
