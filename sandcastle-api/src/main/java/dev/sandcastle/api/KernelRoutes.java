package dev.sandcastle.api;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.exec.ExecutionView;
import dev.sandcastle.core.exec.OutputEntry;
import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelOutput;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /execute_code}: the code interpreter's tool, answered by the workspace's Python
 * kernel (or its shell for {@code language: bash}), in the {@code execute_code} tool's shape plus
 * the full Jupyter outputs; {@code ?stream=true} sends each output as an NDJSON line as it happens.
 */
final class KernelRoutes {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MAX_TIMEOUT_SECONDS = 3600;

  private final Function<Context, Workspace> workspaces;

  KernelRoutes(Function<Context, Workspace> workspaces) {
    this.workspaces = workspaces;
  }

  record ExecuteCode(String code, String language, @com.fasterxml.jackson.annotation.JsonProperty("session_id") String sessionId,
      Double timeout) {}

  record OpenNotebook(String path) {}

  record ExecuteCell(@com.fasterxml.jackson.annotation.JsonProperty("cell_index") Integer cellIndex, String source, Double timeout) {}

  void register(Router r) {
    r.post("/execute_code", this::executeCode);
    r.post("/notebooks", ctx -> ctx.json(workspaces.apply(ctx).notebooks()
        .open(Params.require(ctx.bodyAsClass(OpenNotebook.class).path(), "path"))));
    r.get("/notebooks/{id}", ctx -> ctx.json(workspaces.apply(ctx).notebooks().get(ctx.pathParam("id"))));
    r.delete("/notebooks/{id}", ctx -> {
      workspaces.apply(ctx).notebooks().close(ctx.pathParam("id"));
      ctx.json(Map.of("status", "closed"));
    });
    r.post("/notebooks/{id}/execute", ctx -> {
      ExecuteCell body = ctx.bodyAsClass(ExecuteCell.class);
      ctx.json(workspaces.apply(ctx).notebooks().execute(ctx.pathParam("id"), Params.require(body.cellIndex(), "cell_index"),
          Optional.ofNullable(body.source()), Params.timeout(body.timeout(), MAX_TIMEOUT_SECONDS)));
    });
  }

  private void executeCode(Context ctx) throws Exception {
    ExecuteCode body = ctx.bodyAsClass(ExecuteCode.class);
    String code = Params.require(body.code(), "code");
    String language = Optional.ofNullable(body.language()).orElse("python").toLowerCase(java.util.Locale.ROOT);
    Duration timeout = Params.timeout(body.timeout(), MAX_TIMEOUT_SECONDS);
    Workspace ws = workspaces.apply(ctx);
    Optional<String> session = Optional.ofNullable(body.sessionId()).filter(s -> !s.isBlank()).or(() -> Params.session(ctx));
    boolean stream = Params.bool(ctx, "stream", false);
    Duration limit = timeout;
    Execution run = switch (language) {
      case "python", "python3", "py" -> listener -> python(ws.kernels().execute(kernelName(session), code, limit, true, listener));
      case "bash", "sh", "shell" -> listener -> bash(ws, code, limit, session, listener);
      default -> throw new BadRequest("language must be python or bash, got '" + body.language() + "'");
    };
    if (!stream) {
      ctx.json(run.run(output -> { }));
      return;
    }
    streamNdjson(ctx, run);
  }

  /** One code run, reporting outputs to a listener as they happen. */
  private interface Execution {
    Map<String, Object> run(Consumer<KernelOutput> listener) throws Exception;
  }

  /** The kernel for a chat: one per session id, else the workspace's default kernel. */
  static String kernelName(Optional<String> session) {
    if (session.isEmpty()) {
      return "default";
    }
    String id = session.get();
    if (id.matches("[A-Za-z0-9_.:-]{1,100}")) {
      return "session-" + id;
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return "session-" + HexFormat.of().formatHex(hash, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The execute_code tool's shape: status, stdout, stderr, result, plus outputs. */
  static Map<String, Object> python(CellResult result) {
    StringBuilder stdout = new StringBuilder();
    StringBuilder stderr = new StringBuilder();
    String value = null;
    String error = null;
    for (KernelOutput output : result.outputs()) {
      switch (output) {
        case KernelOutput.Stream s -> (s.name().equals("stderr") ? stderr : stdout).append(s.text());
        case KernelOutput.Result r -> value = String.valueOf(r.data().getOrDefault("text/plain", ""));
        case KernelOutput.Error e -> {
          error = e.ename() + (e.evalue().isEmpty() ? "" : ": " + e.evalue());
          stderr.append(String.join("\n", e.tracebackPlain().isEmpty() ? e.traceback() : e.tracebackPlain())).append('\n');
        }
        case KernelOutput.Display d -> { }
        case KernelOutput.ClearOutput c -> { }
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", switch (result.status()) {
      case "ok" -> "success";
      case "timeout" -> "timeout";
      default -> "error";
    });
    body.put("stdout", stdout.toString());
    body.put("stderr", stderr.toString());
    body.put("result", value);
    if (error != null) {
      body.put("error", error);
    }
    body.put("execution_count", result.executionCount());
    body.put("duration_ms", result.duration().toMillis());
    body.put("kernel_lost", result.kernelLost());
    body.put("outputs", result.outputs());
    return body;
  }

  private static Map<String, Object> bash(Workspace ws, String code, Duration timeout, Optional<String> session,
      Consumer<KernelOutput> listener) throws InterruptedException {
    Duration wait = timeout.isZero() ? Duration.ofSeconds(300) : timeout.plusSeconds(5);
    ExecutionView view = ws.run(code, Optional.empty(), Map.of(), timeout, session, wait, -1);
    StringBuilder stdout = new StringBuilder();
    StringBuilder stderr = new StringBuilder();
    List<KernelOutput> outputs = new java.util.ArrayList<>();
    for (OutputEntry entry : view.output()) {
      (entry.type().equals("stderr") ? stderr : stdout).append(entry.data());
      KernelOutput output = new KernelOutput.Stream(entry.type().equals("stderr") ? "stderr" : "stdout", entry.data());
      outputs.add(output);
      listener.accept(output);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", switch (view.status()) {
      case "done" -> view.exitCode() != null && view.exitCode() == 0 ? "success" : "error";
      case "timed_out" -> "timeout";
      case "running" -> "running";
      default -> "error";
    });
    body.put("stdout", stdout.toString());
    body.put("stderr", stderr.toString());
    body.put("result", null);
    if (view.exitCode() != null && view.exitCode() != 0) {
      body.put("error", "exit status " + view.exitCode() + (view.status().equals("done") ? "" : " (" + view.status() + ")"));
    }
    body.put("exit_code", view.exitCode());
    body.put("process_id", view.id());
    body.put("outputs", outputs);
    return body;
  }

  /** Streams {@code {"type":"output",...}} lines while the code runs, then one {@code {"type":"result",...}}. */
  private static void streamNdjson(Context ctx, Execution run) throws Exception {
    LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    Object end = new Object();
    Map<String, Object>[] result = new Map[1];
    Exception[] failure = new Exception[1];
    Thread worker = Thread.ofVirtual().start(() -> {
      try {
        result[0] = run.run(queue::add);
      } catch (Exception e) {
        failure[0] = e;
      } finally {
        queue.add(end);
      }
    });
    // Nothing is written before the first output, so an early failure still becomes a problem.
    Object first = queue.take();
    if (first == end && failure[0] != null) {
      worker.join();
      throw failure[0];
    }
    ctx.status(200).contentType("application/x-ndjson");
    ctx.header("Cache-Control", "no-store");
    ctx.header("X-Accel-Buffering", "no");
    OutputStream out = ctx.res().getOutputStream();
    Object item = first;
    while (true) {
      if (item == end) {
        break;
      }
      write(out, Map.of("type", "output", "output", item));
      item = queue.take();
    }
    worker.join();
    if (failure[0] != null) {
      write(out, Map.of("type", "error", "error", String.valueOf(failure[0].getMessage())));
    } else {
      Map<String, Object> last = new LinkedHashMap<>();
      last.put("type", "result");
      last.putAll(result[0]);
      write(out, last);
    }
    out.flush();
  }

  private static void write(OutputStream out, Object value) throws java.io.IOException {
    out.write(JSON.writeValueAsBytes(value));
    out.write('\n');
    out.flush();
  }
}
