package dev.sandcastle.api;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.kernel.KernelInfo;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Jupyter Server compatible subset, so any Jupyter client (and Open WebUI's Jupyter engine,
 * unchanged) gets the workspace's persistent, sandboxed kernels: kernel specs, the kernels REST
 * resource, and the channels WebSocket, speaking Jupyter Server's binary protocol to clients that
 * offer it and the legacy JSON one to the others (see {@link KernelWire}), messages of version 5.3.
 * A Jupyter kernel id {@code X} is the workspace kernel {@code jupyter-X}.
 */
final class JupyterRoutes {
  static final String CHANNELS_PATH = "/api/kernels/{id}/channels";
  private static final String PREFIX = "jupyter-";
  private static final String SPEC = "python3";

  private final Workspaces workspaces;
  private final Access auth;
  private final Map<String, KernelChannels> connections = new ConcurrentHashMap<>();

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
      ws.onMessage(ctx -> received(ctx, ctx.message().length(), wire -> wire.decode(ctx.message())));
      ws.onBinaryMessage(ctx -> received(ctx, ctx.data().remaining(), wire -> wire.decode(ctx.data())));
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
    KernelChannels connection = connections.remove(ctx.sessionId());
    if (connection != null) {
      connection.close();
      auth.socketClosed(ctx.attribute(Handshake.ATTRIBUTE));
    }
  }

  /** A frame from the client: decoded here, on the socket's thread, so a malformed one closes the socket at once. */
  private void received(WsContext ctx, long bytes, java.util.function.Function<KernelWire, KernelWire.Message> decode) {
    KernelChannels connection = connections.get(ctx.sessionId());
    if (connection == null) {
      return;
    }
    KernelWire.Message message;
    try {
      message = decode.apply(connection.wire());
    } catch (KernelWire.Malformed e) {
      ctx.closeSession(1007, e.getMessage());
      return;
    }
    connection.receive(message, bytes);
  }

  private void connect(WsContext ctx) {
    Handshake upgrade = ctx.attribute(Handshake.ATTRIBUTE);
    Workspace ws;
    try {
      upgrade.closeWith(ctx::closeSession);
      auth.checkSocket(upgrade, upgrade.jupyterToken());
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
    ctx.session.setMaxTextMessageSize(KernelChannels.MAX_MESSAGE);
    ctx.session.setMaxBinaryMessageSize(KernelChannels.MAX_MESSAGE);
    KernelWire wire = KernelWire.offered(upgrade.header(KernelWire.PROTOCOL_HEADER));
    connections.put(ctx.sessionId(), new KernelChannels(ctx, ws.kernels(), name, wire));
  }
}
