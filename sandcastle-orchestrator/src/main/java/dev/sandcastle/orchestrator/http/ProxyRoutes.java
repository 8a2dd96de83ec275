package dev.sandcastle.orchestrator.http;

import dev.sandcastle.api.Access;
import dev.sandcastle.api.Handshake;
import dev.sandcastle.api.SocketRefused;
import dev.sandcastle.api.WaitingSockets;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.proxy.ReverseProxy;
import dev.sandcastle.orchestrator.proxy.Upstream;
import dev.sandcastle.orchestrator.proxy.WebSocketBridge;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The workspace API of remote backends: every request of a tenant is forwarded, streaming, to its
 * workspace server with that server's own key; terminal and Jupyter sockets are authenticated here
 * (the first message or {@code ?token=}, as the workspace API does) and then bridged.
 * Authentication of HTTP requests has already happened in {@link TenantAccess#check}.
 */
public final class ProxyRoutes implements AutoCloseable {
  private static final List<String> PREFIXES = List.of("", "/terminals", "/p/{policy_id}");
  private static final Set<HandlerType> METHODS = Set.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.DELETE,
      HandlerType.PATCH, HandlerType.HEAD);
  private static final long AUTH_TIMEOUT_SECONDS = 10;

  private final TenantAccess access;
  private final ReverseProxy proxy = new ReverseProxy();
  private final WebSocketBridge bridge = new WebSocketBridge();
  private final WaitingSockets waiting = new WaitingSockets(Duration.ofSeconds(AUTH_TIMEOUT_SECONDS));

  public ProxyRoutes(TenantAccess access, MeterRegistry metrics) {
    this.access = access;
    metrics.gauge("sandcastle.proxy.errors", proxy, p -> p.errors());
    metrics.gauge("sandcastle.proxy.websockets", bridge, b -> b.active());
  }

  /** Adds the sockets and a catch-all for every method; register admin and public routes first. */
  public void register(RoutesConfig r) {
    for (String prefix : PREFIXES) {
      r.wsBeforeUpgrade(prefix + "/api/terminals/{id}", ctx -> ctx.attribute(Handshake.ATTRIBUTE, Handshake.of(ctx)));
      r.ws(prefix + "/api/terminals/{id}", this::terminalSocket);
      r.wsBeforeUpgrade(prefix + "/api/kernels/{id}/channels", ctx -> ctx.attribute(Handshake.ATTRIBUTE, Handshake.of(ctx)));
      r.ws(prefix + "/api/kernels/{id}/channels", this::kernelSocket);
    }
    for (HandlerType method : METHODS) {
      r.addHttpHandler(method, "/<path>", this::forward);
    }
  }

  private void forward(Context ctx) {
    String path = TenantAccess.localPath(ctx.path());
    Optional<TenantKey> tenant = TenantAccess.tenantOf(ctx);
    if (tenant.isEmpty() || TenantAccess.isAdminPath(ctx.path())) {
      // Not a tenant's request (a public path with another method), or the upstream's own admin API.
      throw new NotFound("no such endpoint: " + ctx.method() + " " + ctx.path());
    }
    Upstream upstream = upstream(access.instance(ctx));
    // The upstream learns who is calling from us, not from whatever the client put in its headers.
    proxy.forward(ctx, upstream, path, Map.of("X-User-Id", tenant.get().userId(), "X-Terminal-Context-Id", tenant.get().contextId()));
  }

  private static Upstream upstream(Instance instance) {
    return switch (instance) {
      case Instance.Remote remote -> new Upstream(remote.base(), remote.apiKey());
      case Instance.Local local -> throw new Unavailable("this tenant's workspace is in-process; it is not proxied");
    };
  }

  /** Terminals: the first message authenticates, then the socket is bridged with the upstream's own auth message. */
  private void terminalSocket(WsConfig ws) {
    ws.onConnect(ctx -> {
      ctx.session.setIdleTimeout(Duration.ofMinutes(2));
      ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
      waiting.admit(ctx, () ->
          ctx.closeSession(SocketRefused.AUTH, "authentication timed out: send {\"type\":\"auth\",\"token\":\"<key>\"} first"));
    });
    ws.onMessage(ctx -> {
      Optional<WebSocketBridge.Link> link = bridge.find(ctx);
      if (link.isPresent()) {
        link.get().onClientText(ctx.message());
        return;
      }
      if (!waiting.release(ctx.sessionId())) {
        return; // refused or timed out meanwhile
      }
      String token = Access.authMessageToken(ctx.message()).orElse(null);
      if (token == null) {
        ctx.closeSession(SocketRefused.AUTH, "authenticate first: send {\"type\":\"auth\",\"token\":\"<key>\"}");
        return;
      }
      open(ctx, Optional.of(token), true);
    });
    ws.onBinaryMessage(ctx -> {
      Optional<WebSocketBridge.Link> link = bridge.find(ctx);
      if (link.isPresent()) {
        link.get().onClientBinary(ctx.data());
      } else if (waiting.release(ctx.sessionId())) {
        ctx.closeSession(SocketRefused.AUTH, "authenticate first: send {\"type\":\"auth\",\"token\":\"<key>\"}");
      }
    });
    ws.onClose(ctx -> closed(ctx, ctx.status(), ctx.reason() == null ? "" : ctx.reason()));
    ws.onError(ctx -> closed(ctx, 1011, "error"));
  }

  /** Jupyter channels: the token is in the handshake (query, login cookie or Authorization header). */
  private void kernelSocket(WsConfig ws) {
    ws.onConnect(ctx -> {
      Handshake handshake = ctx.attribute(Handshake.ATTRIBUTE);
      ctx.session.setIdleTimeout(Duration.ZERO);
      open(ctx, handshake.jupyterToken(), false); // else checkSocket reads the Authorization header
    });
    ws.onMessage(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientText(ctx.message())));
    ws.onBinaryMessage(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientBinary(ctx.data())));
    ws.onClose(ctx -> closed(ctx, ctx.status(), ctx.reason() == null ? "" : ctx.reason()));
    ws.onError(ctx -> closed(ctx, 1011, "error"));
  }

  private void open(WsContext ctx, Optional<String> token, boolean terminal) {
    Handshake handshake = ctx.attribute(Handshake.ATTRIBUTE);
    handshake.closeWith(ctx::closeSession);
    try {
      access.checkSocket(handshake, token);
    } catch (SocketRefused e) {
      ctx.closeSession(e.code(), e.getMessage());
      return;
    }
    Upstream upstream;
    try {
      upstream = upstream(access.instance(handshake));
    } catch (RuntimeException e) {
      access.socketClosed(handshake);
      ctx.closeSession(SocketRefused.IDENTITY, "the workspace is unreachable");
      return;
    }
    bridge.open(ctx, upstream, TenantAccess.localPath(handshake.path()),
        terminal ? List.of(WebSocketBridge.authMessage(upstream)) : List.of(), handshake.subprotocol());
  }

  private void closed(WsContext ctx, int code, String reason) {
    waiting.release(ctx.sessionId());
    Optional<WebSocketBridge.Link> link = bridge.find(ctx);
    link.ifPresent(l -> l.onClientClose(code, reason));
    Handshake handshake = ctx.attribute(Handshake.ATTRIBUTE);
    if (handshake != null) {
      access.socketClosed(handshake);
    }
  }

  @Override
  public void close() {
    bridge.close();
    proxy.close();
  }
}
