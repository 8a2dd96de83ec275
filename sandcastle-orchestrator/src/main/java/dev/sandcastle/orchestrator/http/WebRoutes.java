package dev.sandcastle.orchestrator.http;

import dev.sandcastle.core.errors.NotFound;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web front end: {@code GET /} answers the app's page, {@code GET /ui/...} its assets, read
 * from the classpath folder {@code web/} that the {@code sandcastle-web} module builds. Nothing
 * here needs credentials: the pages hold no data; every call they make is authenticated.
 *
 * <p>Headers carry the security of the pages: the app runs under a Content-Security-Policy that
 * allows no inline script and keeps its scripts, connections and images to this server. The two
 * frames that run untrusted code are documents of their own, each served as a sandbox (an opaque
 * origin, whatever the embedding iframe says): the artifact frame, which allows inline code (the
 * artifact is written into it), and the Pyodide frame, which may run WebAssembly and fetch
 * Pyodide's files (CORS). Hashed assets are cached for good, the pages never.
 */
public final class WebRoutes {
  static final String PREFIX = "/ui/";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*");
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json"), Map.entry("wasm", "application/wasm"), Map.entry("zip", "application/zip"),
      Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("ico", "image/x-icon"),
      Map.entry("woff2", "font/woff2"), Map.entry("woff", "font/woff"), Map.entry("ttf", "font/ttf"), Map.entry("txt", "text/plain; charset=utf-8"));
  /** The app page's policy: everything from this server, no inline script. */
  static final String APP_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self'; "
      + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";
  /**
   * The artifact frame: a sandbox (the iframe's own sandbox attribute narrows it further: forms and
   * same origin only when the user opts in) where the artifact's inline code may run.
   */
  static final String ARTIFACT_POLICY = "sandbox allow-scripts allow-downloads allow-forms allow-same-origin; "
      + "default-src * data: blob: 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'self'";
  /** The Pyodide frame: an opaque origin that may run WebAssembly and fetch Pyodide from this server, nothing else. */
  static final String PYODIDE_POLICY = "sandbox allow-scripts; default-src 'none'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval' blob:; "
      + "worker-src blob:; connect-src 'self'; img-src data: blob:; style-src 'unsafe-inline'; frame-ancestors 'self'";

  private final ClassLoader loader;
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  public WebRoutes() {
    this(WebRoutes.class.getClassLoader());
  }

  WebRoutes(ClassLoader loader) {
    this.loader = loader;
  }

  /** Whether a request is for the front end's files, which need no credentials. */
  public static boolean isPublic(String method, String path) {
    return (method.equals("GET") || method.equals("HEAD")) && (path.equals("/") || path.startsWith(PREFIX));
  }

  /** Whether the front end was built into this server (it is not when the web module was skipped). */
  public boolean available() {
    return resource("index.html").isPresent();
  }

  /** Files up to this size are kept in memory once read; larger ones (Pyodide's) are streamed from the jar each time. */
  static final int CACHE_LIMIT = 512 * 1024;

  private Optional<URL> resource(String path) {
    return Optional.ofNullable(loader.getResource("web/" + path));
  }

  public void register(RoutesConfig r) {
    r.get("/", ctx -> page(ctx, "index.html"));
    r.get(PREFIX + "<path>", ctx -> asset(ctx, ctx.pathParam("path")));
  }

  private void page(Context ctx, String name) {
    URL body = resource(name).orElse(null);
    if (body == null) {
      ctx.status(404).contentType("text/plain; charset=utf-8")
          .result("The web front end is not part of this build (the sandcastle-web module was skipped). The API is served as usual.\n");
      return;
    }
    ctx.header("Content-Security-Policy", APP_POLICY);
    ctx.header("Cache-Control", "no-cache");
    send(ctx, name, body);
  }

  private void asset(Context ctx, String path) {
    if (!SAFE.matcher(path).matches() || path.contains("..")) {
      throw new NotFound("no such file");
    }
    if (path.equals("index.html")) {
      page(ctx, path);
      return;
    }
    URL body = resource(path).orElseThrow(() -> new NotFound("no such file: " + PREFIX + path));
    if (path.equals("pyodide.html")) {
      ctx.header("Content-Security-Policy", PYODIDE_POLICY);
      ctx.header("Cache-Control", "no-cache");
    } else if (path.equals("artifact.html")) {
      ctx.header("Content-Security-Policy", ARTIFACT_POLICY);
      ctx.header("Cache-Control", "no-cache");
    } else if (path.startsWith("pyodide/")) {
      // fetched by the opaque-origin Pyodide frame and its worker
      ctx.header("Access-Control-Allow-Origin", "*");
      ctx.header("Cross-Origin-Resource-Policy", "cross-origin");
      ctx.header("Cache-Control", "public, max-age=86400");
    } else if (path.startsWith("assets/")) {
      ctx.header("Cache-Control", "public, max-age=31536000, immutable"); // names carry a content hash
      ctx.header("Access-Control-Allow-Origin", "*"); // the Pyodide frame loads its script from here
    } else {
      ctx.header("Cache-Control", "no-cache");
    }
    send(ctx, path, body);
  }

  private void send(Context ctx, String name, URL file) {
    String extension = name.substring(name.lastIndexOf('.') + 1);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.contentType(TYPES.getOrDefault(extension, "application/octet-stream"));
    byte[] cached = cache.get(name);
    if (cached != null) {
      ctx.result(cached);
      return;
    }
    try {
      URLConnection connection = file.openConnection();
      long length = connection.getContentLengthLong();
      InputStream in = connection.getInputStream();
      if (length >= 0 && length <= CACHE_LIMIT) {
        try (in) {
          byte[] body = in.readAllBytes();
          cache.put(name, body); // only files of the build reach here: the cache is bounded by it
          ctx.result(body);
        }
      } else {
        ctx.result(in); // closed by Javalin once sent; no Content-Length of ours: the response may be compressed
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the front end's " + name, e);
    }
  }
}
