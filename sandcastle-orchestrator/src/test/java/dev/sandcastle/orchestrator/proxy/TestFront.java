package dev.sandcastle.orchestrator.proxy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The orchestrator's side in miniature, wired the way the orchestrator should wire the proxy: a
 * catch-all route per method at the root and under {@code /terminals/}, problems for proxy errors,
 * and a 404 handler that leaves committed (proxied) responses alone.
 */
final class TestFront implements AutoCloseable {
  static final String KEY = "front-key-456";

  final ReverseProxy proxy;
  final Javalin app;
  volatile Upstream upstream;

  TestFront(ReverseProxy proxy, Upstream upstream) {
    this.proxy = proxy;
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

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + app.port() + pathAndQuery);
  }

  int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
