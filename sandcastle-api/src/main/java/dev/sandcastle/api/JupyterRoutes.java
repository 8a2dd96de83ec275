package dev.sandcastle.api;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelInfo;
import dev.sandcastle.core.kernel.KernelOutput;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Jupyter Server compatible subset, so any Jupyter client (and Open WebUI's Jupyter engine,
 * unchanged) gets the workspace's persistent, sandboxed kernels: kernel specs, the kernels REST
 * resource, and the channels WebSocket speaking the legacy JSON message protocol (version 5.3).
 * A Jupyter kernel id {@code X} is the workspace kernel {@code jupyter-X}.
 */
final class JupyterRoutes {
  static final String CHANNELS_PATH = "/api/kernels/{id}/channels";
  private static final Logger log = LoggerFactory.getLogger(JupyterRoutes.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String PREFIX = "jupyter-";
  private static final String SPEC = "python3";

  private final Workspaces workspaces;
  private final Access auth;
  private final Map<String, Connection> connections = new ConcurrentHashMap<>();

  JupyterRoutes(Workspaces workspaces, Access auth) {
    this.workspaces = workspaces;
    this.auth = auth;
  }

  void register(Router r) {
    r.get("/api/kernelspecs", ctx -> ctx.json(Map.of("default", SPEC, "kernelspecs", Map.of(SPEC, Map.of(
        "name", SPEC,
        "spec", Map.of("argv", List.of(), "display_name", "Python 3 (Sandcastle workspace)", "language", "python",
            "interrupt_mode", "signal", "env", Map.of(), "metadata", Map.of()),
        "resources", Map.of())))));
    r.get("/api/kernels", ctx -> ctx.json(kernels(ctx).list().stream()
        .filter(k -> k.name().startsWith(PREFIX)).map(JupyterRoutes::model).toList()));
    r.post("/api/kernels", ctx -> {
      String id = UUID.randomUUID().toString();
      ctx.status(201).json(model(kernels(ctx).start(PREFIX + id)));
    });
    r.get("/api/kernels/{id}", ctx -> ctx.json(model(find(ctx))));
    r.delete("/api/kernels/{id}", ctx -> {
      kernels(ctx).shutdown(find(ctx).name());
      ctx.status(204);
    });
    r.post("/api/kernels/{id}/interrupt", ctx -> {
      kernels(ctx).interrupt(find(ctx).name());
      ctx.status(204);
    });
    r.post("/api/kernels/{id}/restart", ctx -> ctx.json(model(kernels(ctx).restart(find(ctx).name()))));
    r.ws(CHANNELS_PATH, ws -> {
      ws.onConnect(this::connect);
      ws.onMessage(ctx -> {
        Connection connection = connections.get(ctx.sessionId());
        if (connection != null) {
          connection.receive(ctx.message());
        }
      });
      ws.onClose(this::closed);
      ws.onError(this::closed);
    });
  }

  private KernelService kernels(Context ctx) {
    return workspaces.of(ctx).kernels();
  }

  private KernelInfo find(Context ctx) {
    String id = ctx.pathParam("id");
    return kernels(ctx).find(PREFIX + id).orElseThrow(() -> new NotFound("no kernel with id " + id));
  }

  private static Map<String, Object> model(KernelInfo info) {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("id", info.name().substring(PREFIX.length()));
    model.put("name", SPEC);
    model.put("last_activity", info.lastActivity().toString());
    model.put("execution_state", info.state());
    model.put("connections", 0);
    return model;
  }

  private void closed(WsContext ctx) {
    Connection connection = connections.remove(ctx.sessionId());
    if (connection != null) {
      connection.close();
      auth.socketClosed(ctx.attribute(Handshake.ATTRIBUTE));
    }
  }

  private void connect(WsContext ctx) {
    Handshake upgrade = ctx.attribute(Handshake.ATTRIBUTE);
    Workspace ws;
    try {
      upgrade.closeWith(ctx::closeSession);
      auth.checkSocket(upgrade, Optional.ofNullable(ctx.queryParam("token")));
      ws = workspaces.of(upgrade);
    } catch (SocketRefused e) {
      ctx.closeSession(e.code(), e.getMessage());
      return;
    } catch (SandcastleException e) {
      auth.socketClosed(upgrade);
      ctx.closeSession(SocketRefused.IDENTITY, e.getMessage());
      return;
    }
    String name = PREFIX + ctx.pathParam("id");
    if (ws.kernels().find(name).isEmpty()) {
      auth.socketClosed(upgrade);
      ctx.closeSession(4004, "no kernel with id " + ctx.pathParam("id"));
      return;
    }
    ctx.session.setIdleTimeout(Duration.ZERO);
    connections.put(ctx.sessionId(), new Connection(ctx, ws.kernels(), name));
  }

  /**
   * One channels socket. Requests run one at a time on a virtual thread of their own (a cell may
   * run for minutes); everything sent to the client goes through one queue drained by another
   * virtual thread, so the kernel's reader thread never waits for a slow client.
   */
  private static final class Connection {
    private static final Object CLOSE = new Object();
    private final WsContext ctx;
    private final KernelService kernels;
    private final String kernel;
    private final String session = UUID.randomUUID().toString();
    private final LinkedBlockingQueue<String> requests = new LinkedBlockingQueue<>(256);
    private final LinkedBlockingQueue<Object> outbox = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final Thread sender;

    Connection(WsContext ctx, KernelService kernels, String kernel) {
      this.ctx = ctx;
      this.kernels = kernels;
      this.kernel = kernel;
      this.worker = Thread.ofVirtual().name("jupyter-requests").start(this::work);
      this.sender = Thread.ofVirtual().name("jupyter-sender").start(this::drain);
    }

    void receive(String text) {
      if (!requests.offer(text)) {
        ctx.closeSession(1008, "too many requests waiting; wait for replies before sending more");
      }
    }

    void close() {
      worker.interrupt();
      outbox.add(CLOSE);
    }

    private void work() {
      try {
        while (true) {
          handle(JSON.readTree(requests.take()));
        }
      } catch (InterruptedException e) {
        // the socket closed
      } catch (RuntimeException e) {
        log.warn("jupyter channels: {}", e.toString());
        ctx.closeSession(1011, "internal error");
      }
    }

    private void drain() {
      try {
        while (true) {
          Object next = outbox.take();
          if (next == CLOSE) {
            return;
          }
          var done = new org.eclipse.jetty.websocket.api.Callback.Completable();
          ctx.session.sendText((String) next, done);
          done.get();
        }
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        // the socket closed
      }
    }

    private void handle(JsonNode request) throws InterruptedException {
      JsonNode header = request.path("header");
      String type = header.path("msg_type").asString("");
      switch (type) {
        case "execute_request" -> execute(request, header);
        case "kernel_info_request" -> {
          status(header, "busy");
          send("shell", "kernel_info_reply", header, Map.of(
              "status", "ok", "protocol_version", "5.3", "implementation", "sandcastle", "implementation_version", "0.1.0",
              "language_info", Map.of("name", "python", "mimetype", "text/x-python", "file_extension", ".py"),
              "banner", "Sandcastle workspace kernel", "help_links", List.of()));
          status(header, "idle");
        }
        case "shutdown_request" -> {
          send("control", "shutdown_reply", header, Map.of("status", "ok", "restart", request.path("content").path("restart").asBoolean()));
          kernels.shutdown(kernel);
        }
        default -> {
          // Requests this kernel does not implement (completion, inspection, comms) get an
          // answer rather than silence, so a client does not wait for ever.
          if (type.endsWith("_request")) {
            status(header, "busy");
            send(request.path("channel").asString("shell"), type.replace("_request", "_reply"), header,
                Map.of("status", "error", "ename", "NotImplemented", "evalue", type + " is not supported", "traceback", List.of()));
            status(header, "idle");
          }
        }
      }
    }

    private void execute(JsonNode request, JsonNode header) throws InterruptedException {
      String code = request.path("content").path("code").asString("");
      status(header, "busy");
      send("iopub", "execute_input", header, Map.of("code", code, "execution_count", 0));
      CellResult result;
      try {
        result = kernels.execute(kernel, code, Duration.ZERO, true, output -> send("iopub", output.outputType(), header, content(output)));
      } catch (RuntimeException e) {
        send("iopub", "error", header, Map.of("ename", "SandcastleError", "evalue", String.valueOf(e.getMessage()), "traceback", List.of(String.valueOf(e.getMessage()))));
        send("shell", "execute_reply", header, Map.of("status", "error", "execution_count", 0, "ename", "SandcastleError",
            "evalue", String.valueOf(e.getMessage()), "traceback", List.of()));
        status(header, "idle");
        return;
      }
      Map<String, Object> reply = new LinkedHashMap<>();
      reply.put("status", result.status().equals("ok") ? "ok" : "error");
      reply.put("execution_count", result.executionCount());
      if (!result.status().equals("ok")) {
        result.outputs().stream().filter(o -> o instanceof KernelOutput.Error).map(o -> (KernelOutput.Error) o).reduce((a, b) -> b)
            .ifPresent(e -> {
              reply.put("ename", e.ename());
              reply.put("evalue", e.evalue());
              reply.put("traceback", e.traceback());
            });
      }
      reply.put("user_expressions", Map.of());
      reply.put("payload", List.of());
      status(header, "idle");
      send("shell", "execute_reply", header, reply);
    }

    private static Map<String, Object> content(KernelOutput output) {
      return switch (output) {
        case KernelOutput.Stream s -> Map.of("name", s.name(), "text", s.text());
        case KernelOutput.Result r -> Map.of("execution_count", r.executionCount(), "data", r.data(), "metadata", r.metadata());
        case KernelOutput.Display d -> Map.of("data", d.data(), "metadata", d.metadata(), "transient", Map.of());
        case KernelOutput.Error e -> Map.of("ename", e.ename(), "evalue", e.evalue(), "traceback", e.traceback());
        case KernelOutput.ClearOutput c -> Map.of("wait", c.waitForNext());
      };
    }

    private void status(JsonNode parent, String state) {
      send("iopub", "status", parent, Map.of("execution_state", state));
    }

    private void send(String channel, String type, JsonNode parent, Map<String, ?> content) {
      Map<String, Object> header = new LinkedHashMap<>();
      header.put("msg_id", UUID.randomUUID().toString());
      header.put("msg_type", type);
      header.put("username", "sandcastle");
      header.put("session", session);
      header.put("date", Instant.now().toString());
      header.put("version", "5.3");
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("header", header);
      message.put("msg_id", header.get("msg_id"));
      message.put("msg_type", type);
      message.put("parent_header", parent);
      message.put("metadata", Map.of());
      message.put("content", content);
      message.put("buffers", List.of());
      message.put("channel", channel);
      outbox.add(JSON.writeValueAsString(message));
    }
  }
}
