package dev.sandcastle.orchestrator.proxy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.websocket.WsConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The orchestrator's side in miniature, wired the way the orchestrator should wire the proxy: a
 * catch-all route per method at the root and under {@code /terminals/}, problems for proxy errors,
 * a 404 handler that leaves committed (proxied) responses alone, and WebSocket routes that
 * authenticate the client themselves and then hand the socket to the bridge.
 */
final class TestFront implements AutoCloseable {
  static final String KEY = "front-key-456";

  final ReverseProxy proxy;
  final WebSocketBridge bridge;
  final Javalin app;
  volatile Upstream upstream;

  TestFront(ReverseProxy proxy, Upstream upstream) {
    this(proxy, null, upstream);
  }

  /** With {@code bridge}, also the WebSocket routes. */
  TestFront(ReverseProxy proxy, WebSocketBridge bridge, Upstream upstream) {
    this.proxy = proxy;
    this.bridge = bridge;
    this.upstream = upstream;
    app = Javalin.create(config -> {
      config.jetty.host = "127.0.0.1";
      config.jetty.port = 0;
      config.concurrency.useVirtualThreads = true;
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.jsonMapper(new io.javalin.json.JavalinJackson3(tools.jackson.databind.json.JsonMapper.builder().build(), false));
      config.http.maxRequestSize = 1024; // the proxy streams raw bodies; this limit is for ctx.body() only
      RoutesConfig r = config.routes;
      r.exception(Unavailable.class, (e, ctx) -> problem(ctx, 503, e.getMessage()));
      r.exception(BadRequest.class, (e, ctx) -> problem(ctx, 400, e.getMessage()));
      r.error(404, ctx -> {
        if (!ctx.res().isCommitted()) {
          problem(ctx, 404, "no such endpoint");
        }
      });
      if (bridge != null) {
        r.ws("/api/terminals/{id}", this::terminal);
        r.ws("/api/kernels/{id}/channels", this::kernel);
      }
      Handler terminals = ctx -> proxy.forward(ctx, this.upstream, ctx.path().substring("/terminals".length()));
      Handler root = ctx -> proxy.forward(ctx, this.upstream, ctx.path());
      all(r, "/terminals/<path>", terminals);
      all(r, "/<path>", root);
    });
    app.start();
  }

  private static void all(RoutesConfig r, String path, Handler handler) {
    r.get(path, handler);
    r.head(path, handler);
    r.post(path, handler);
    r.put(path, handler);
    r.patch(path, handler);
    r.delete(path, handler);
    r.options(path, handler);
  }

  private static void problem(Context ctx, int status, String detail) {
    ctx.status(status).contentType("application/problem+json").json(Map.of("status", status, "detail", detail));
  }

  /** Terminals: the client's first message is its auth for us; then the workspace gets its own. */
  private void terminal(WsConfig ws) {
    ws.onMessage(ctx -> {
      Optional<WebSocketBridge.Link> link = bridge.find(ctx);
      if (link.isPresent()) {
        link.get().onClientText(ctx.message());
      } else if (!ctx.message().equals("{\"type\":\"auth\",\"token\":\"" + KEY + "\"}")) {
        ctx.closeSession(4001, "invalid API key");
      } else {
        bridge.open(ctx, upstream, "/api/terminals/" + ctx.pathParam("id"), List.of(WebSocketBridge.authMessage(upstream)));
      }
    });
    ws.onBinaryMessage(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientBinary(ctx.data())));
    ws.onClose(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientClose(ctx.status(), ctx.reason())));
    ws.onError(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientClose(1011, "client error")));
  }

  /** Jupyter channels: the token is in the query; the bridge replaces it with the workspace's. */
  private void kernel(WsConfig ws) {
    ws.onConnect(ctx -> {
      if (!KEY.equals(ctx.queryParam("token"))) {
        ctx.closeSession(4001, "authentication failed");
        return;
      }
      bridge.open(ctx, upstream, "/api/kernels/" + ctx.pathParam("id") + "/channels", List.of());
    });
    ws.onMessage(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientText(ctx.message())));
    ws.onClose(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientClose(ctx.status(), ctx.reason())));
    ws.onError(ctx -> bridge.find(ctx).ifPresent(link -> link.onClientClose(1011, "client error")));
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + app.port() + pathAndQuery);
  }

  URI ws(String pathAndQuery) {
    return URI.create("ws://127.0.0.1:" + app.port() + pathAndQuery);
  }

  int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
