package dev.sandcastle.orchestrator.http;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.orchestrator.pyodide.PackageMirror;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Pyodide's packages for the browser, from the {@link PackageMirror}: {@code GET
 * /pyodide/pyodide-lock.json} (the lock the page's Pyodide loads packages by) and {@code GET
 * /pyodide/packages/{file}} (a package file named by that lock). Both need no credentials, like
 * the front end's own files: the Pyodide frame is an opaque origin whose requests carry none, and
 * the files are the public packages of the Pyodide release. What an anonymous caller can make the
 * server do is bounded by the lock: each of its files is downloaded at most once (see the mirror).
 * Answers carry {@code Access-Control-Allow-Origin: *}, errors included, so the frame can read a
 * refusal's reason. The admin's view of the mirror is {@code GET /api/v1/pyodide}.
 */
public final class PyodideRoutes {
  static final String PREFIX = "/pyodide/";
  private final Optional<PackageMirror> mirror;
  private final Predicate<Context> isAdmin;

  /**
   * @param mirror empty when this build has no Pyodide (the web front end was not built)
   * @param isAdmin whether the request's authenticated caller is an admin (checked again here)
   */
  public PyodideRoutes(Optional<PackageMirror> mirror, Predicate<Context> isAdmin) {
    this.mirror = mirror;
    this.isAdmin = isAdmin;
  }

  /** Whether a request is for the mirror's files, which need no credentials. */
  public static boolean isPublic(String method, String path) {
    return (method.equals("GET") || method.equals("HEAD")) && path.startsWith(PREFIX);
  }

  public void register(RoutesConfig r) {
    r.before(PREFIX + "<path>", ctx -> {
      ctx.header("Access-Control-Allow-Origin", "*");
      ctx.header("Cross-Origin-Resource-Policy", "cross-origin");
      ctx.header("X-Content-Type-Options", "nosniff");
      ctx.header("Referrer-Policy", "no-referrer");
      ctx.header("Cache-Control", "no-store"); // refusals are not cached; files say otherwise below
    });
    r.get(PREFIX + "pyodide-lock.json", ctx -> {
      byte[] lock = mirror().lock();
      ctx.header("Cache-Control", "no-cache");
      ctx.contentType("application/json").result(lock);
    });
    r.get(PREFIX + "packages/{file}", ctx -> {
      Path file = mirror().file(ctx.pathParam("file"));
      try {
        long length = Files.size(file);
        ctx.header("Cache-Control", "public, max-age=86400");
        ctx.header("Content-Length", Long.toString(length));
        ctx.contentType("application/zip").result(Files.newInputStream(file));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read a mirrored package", e);
      }
    });
    r.get("/api/v1/pyodide", ctx -> {
      if (!isAdmin.test(ctx)) {
        throw new Forbidden("the admin API needs the admin key or an admin's token");
      }
      ctx.json(status(mirror().status()));
    });
  }

  private PackageMirror mirror() {
    return mirror.orElseThrow(() -> new NotFound("this server has no Pyodide: its web front end is not part of this build"));
  }

  static Map<String, Object> status(PackageMirror.Status status) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("pyodide_version", status.pyodideVersion());
    json.put("index_url", status.index().map(Object::toString).orElse(""));
    Map<String, Object> index = new LinkedHashMap<>();
    switch (status.indexState()) {
      case PackageMirror.IndexState.Off off -> index.put("state", "off");
      case PackageMirror.IndexState.Unchecked unchecked -> index.put("state", "unchecked");
      case PackageMirror.IndexState.Read read -> {
        index.put("state", "ok");
        index.put("checked_at", read.at().toString());
        index.put("added_packages", read.added());
      }
      case PackageMirror.IndexState.Failed failed -> {
        index.put("state", "error");
        index.put("checked_at", failed.at().toString());
        index.put("error", failed.message());
      }
    }
    json.put("index", index);
    json.put("lock_packages", status.lockPackages());
    json.put("present_packages", status.present().size());
    json.put("bytes", status.bytes());
    json.put("packages", status.present().stream().map(p -> Map.of("name", p.name(), "version", p.version(), "file_name", p.fileName(),
        "bytes", p.bytes())).toList());
    json.put("downloading", List.copyOf(status.downloading()));
    json.put("errors", status.errors().stream().map(e -> Map.of("at", e.at().toString(), "package", e.packageName(),
        "file_name", e.fileName(), "error", e.message())).toList());
    return json;
  }
}
