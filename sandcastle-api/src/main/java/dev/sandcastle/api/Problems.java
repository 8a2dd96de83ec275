package dev.sandcastle.api;

import dev.sandcastle.core.errors.SandcastleException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * The one place where errors become HTTP responses: RFC 9457 {@code application/problem+json},
 * with a status that matches the error's kind and a message meant for the caller. Unexpected
 * failures are logged with their stack trace and answered with a generic 500; no stack trace or
 * host detail ever reaches a client.
 */
final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  private static final String HANDLED = "sandcastle.problem";

  private Problems() {}

  static void register(RoutesConfig routes) {
    routes.exception(SandcastleException.class, (e, ctx) -> write(ctx, status(e), e.kind(), e.getMessage()));
    routes.exception(JacksonException.class, (e, ctx) ->
        write(ctx, 400, "bad-request", "invalid JSON body: " + e.getOriginalMessage()));
    routes.exception(HttpResponseException.class, (e, ctx) ->
        write(ctx, e.getStatus(), kindOf(e.getStatus()), e.getMessage()));
    routes.exception(InterruptedException.class, (e, ctx) -> {
      Thread.currentThread().interrupt();
      write(ctx, 503, "unavailable", "the server is shutting down");
    });
    routes.exception(Exception.class, (e, ctx) -> {
      log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
      write(ctx, 500, "internal", "internal server error; the server log has the details");
    });
    // A response that already went out (a proxied upstream's own 404) is left as it is.
    routes.error(404, ctx -> {
      if (ctx.attribute(HANDLED) == null && !ctx.res().isCommitted()) {
        write(ctx, 404, "not-found", "no such endpoint: " + ctx.method() + " " + ctx.path());
      }
    });
    routes.error(405, ctx -> {
      if (ctx.attribute(HANDLED) == null && !ctx.res().isCommitted()) {
        write(ctx, 405, "method-not-allowed", "method " + ctx.method() + " is not allowed on " + ctx.path());
      }
    });
  }

  static void write(Context ctx, int status, String kind, String detail) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "https://sandcastle.dev/problems/" + kind);
    body.put("title", title(status));
    body.put("status", status);
    body.put("detail", detail == null || detail.isBlank() ? title(status) : detail);
    body.put("instance", ctx.path());
    ctx.attribute(HANDLED, true);
    ctx.status(status).json(body).contentType("application/problem+json");
    if (status == 401) {
      ctx.header("WWW-Authenticate", "Bearer");
    }
  }

  private static int status(SandcastleException e) {
    return switch (e) {
      case dev.sandcastle.core.errors.BadRequest b -> 400;
      case dev.sandcastle.core.errors.Unauthorized u -> 401;
      case dev.sandcastle.core.errors.Forbidden f -> 403;
      case dev.sandcastle.core.errors.PathOutsideWorkspace p -> 403;
      case dev.sandcastle.core.errors.NotFound n -> 404;
      case dev.sandcastle.core.errors.Conflict c -> 409;
      case dev.sandcastle.core.errors.PayloadTooLarge p -> 413;
      case dev.sandcastle.core.errors.UnsupportedMedia u -> 415;
      case dev.sandcastle.core.errors.QuotaExceeded q -> 429;
      case dev.sandcastle.core.errors.Unavailable u -> 503;
      case dev.sandcastle.core.errors.InsufficientStorage i -> 507;
    };
  }

  private static String kindOf(int status) {
    return switch (status) {
      case 400 -> "bad-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 413 -> "payload-too-large";
      case 415 -> "unsupported-media";
      default -> "http-" + status;
    };
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      case 507 -> "Insufficient Storage";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }
}
