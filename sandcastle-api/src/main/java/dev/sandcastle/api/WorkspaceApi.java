package dev.sandcastle.api;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.PayloadTooLarge;
import dev.sandcastle.core.exec.ExecutionView;
import dev.sandcastle.core.files.BinaryContent;
import dev.sandcastle.core.files.FileContent;
import dev.sandcastle.core.files.GlobQuery;
import dev.sandcastle.core.files.GrepQuery;
import dev.sandcastle.core.files.RawFile;
import dev.sandcastle.core.files.Replacement;
import dev.sandcastle.core.files.TextContent;
import dev.sandcastle.core.workspace.SystemPrompt;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.json.JavalinJackson3;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The workspace API (Open Terminal compatible): every route in one place, read top to bottom.
 * Handlers translate HTTP to calls on a {@link Workspace} and back; errors are mapped by
 * {@link Problems}. The workspace of a request comes from a resolver, so the same routes serve one
 * workspace ({@code sandcastle terminal}) or one per tenant (the orchestrator).
 */
public final class WorkspaceApi {
  private static final int MAX_WAIT_SECONDS = 300;

  private final Workspaces workspaces;
  private final ApiSettings settings;
  private final java.util.function.Supplier<OpenApiDocument> openApi;
  private final ClientHints hints;

  /** Serves the workspace API's own document, read on its first request rather than at start-up. */
  public WorkspaceApi(Workspaces workspaces, ApiSettings settings) {
    this(workspaces, settings, OpenApiDocument::load, ClientHints.none());
  }

  /** @param openApi the document to serve (the orchestrator adds its admin API to the full one) */
  public WorkspaceApi(Workspaces workspaces, ApiSettings settings, OpenApiDocument openApi) {
    this(workspaces, settings, openApi, ClientHints.none());
  }

  /** @param hints what the operator tells clients and the model ({@code /info}, the file browser's root) */
  public WorkspaceApi(Workspaces workspaces, ApiSettings settings, OpenApiDocument openApi, ClientHints hints) {
    this(workspaces, settings, () -> openApi, hints);
  }

  /** @param openApi the document, read when first asked for */
  public WorkspaceApi(Workspaces workspaces, ApiSettings settings, java.util.function.Supplier<OpenApiDocument> openApi, ClientHints hints) {
    this.workspaces = workspaces;
    this.settings = settings;
    this.openApi = lazily(() -> hints.info().isPresent() ? openApi.get().offering("get_info") : openApi.get());
    this.hints = hints;
  }

  private static <T> java.util.function.Supplier<T> lazily(java.util.function.Supplier<T> make) {
    var made = new java.util.concurrent.atomic.AtomicReference<T>();
    return () -> made.updateAndGet(value -> value != null ? value : make.get());
  }

  /** A Javalin server with the whole workspace API, not yet started. */
  public Javalin create(String host, int port) {
    return server(host, port, settings, this::register);
  }

  /**
   * A Javalin server with this API's conventions (JSON mapper, request limits, problem responses,
   * {@link Access} before every non-public route, virtual threads) and the given routes, not yet
   * started. The orchestrator builds its server with this, adding admin routes and either
   * {@link #register} (in-process workspaces) or its proxy.
   */
  public static Javalin server(String host, int port, ApiSettings settings, Consumer<RoutesConfig> routes) {
    return Javalin.create(config -> {
      config.jetty.host = host;
      config.jetty.port = port;
      config.concurrency.useVirtualThreads = true;
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.http.maxRequestSize = settings.maxRequestBytes();
      config.jetty.multipartConfig.maxFileSize(settings.maxUploadBytes(), SizeUnit.BYTES);
      config.jetty.multipartConfig.maxTotalRequestSize(settings.maxUploadBytes() + 65_536, SizeUnit.BYTES);
      config.jetty.multipartConfig.maxInMemoryFileSize(256 * 1024, SizeUnit.BYTES);
      config.jetty.multipartConfig.cacheDirectory(settings.uploadCache().toString());
      if (settings.proxies().any()) {
        config.jetty.modifyHttpConfiguration(http -> http.addCustomizer(settings.proxies().customizer()));
      }
      config.jsonMapper(new JavalinJackson3(JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build(), false));
      Problems.register(config.routes);
      config.routes.before(ctx -> {
        String method = ctx.method().name();
        boolean read = method.equals("GET") || method.equals("HEAD");
        if (!(read && Access.isPublic(ctx.path())) && !method.equals("OPTIONS") && !JupyterLogin.isLogin(method, ctx.path())) {
          settings.access().check(ctx);
        }
      });
      config.routes.wsBeforeUpgrade(WorkspaceApi::forgetHttpSession);
      config.routes.wsBeforeUpgrade(KernelWire::answerUpgrade);
      routes.accept(config.routes);
    });
  }

  /**
   * Adds only the routes that need no workspace (health, configuration, the OpenAPI documents),
   * for a server that forwards everything else to remote workspaces.
   */
  public void registerPublic(RoutesConfig routes) {
    registerPublic(new Router(routes, settings.prefixes()));
  }

  private void registerPublic(Router r) {
    r.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
    r.get("/api/config", ctx -> ctx.json(Map.of("features", Map.of("terminal", true, "notebooks", true, "system", true))));
    r.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi.get().toolsJson()));
    r.get("/openapi.full.json", ctx -> ctx.contentType("application/json").result(openApi.get().fullJson()));
    JupyterLogin.register(r, settings.access());
    r.get("/info", ctx -> ctx.json(Map.of("info", hints.info()
        .orElseThrow(() -> new NotFound("no information about this environment: the operator has not set --info (OPEN_TERMINAL_INFO)")))));
  }

  /** Adds the workspace routes, under each of the settings' prefixes. */
  public void register(RoutesConfig routes) {
    Router r = new Router(routes, settings.prefixes());
    for (String path : Handshake.paths()) {
      r.wsBeforeUpgrade(path, ctx -> ctx.attribute(Handshake.ATTRIBUTE, Handshake.of(ctx)));
    }
    registerPublic(r);
    r.get("/system", ctx -> ctx.json(Map.of("prompt", hints.systemPrompt(SystemPrompt.of(ws(ctx))))));

    // Commands
    r.post("/execute", this::execute);
    r.get("/execute", ctx -> ctx.json(ws(ctx).exec().list()));
    r.get("/execute/{id}/status", ctx -> ctx.json(ws(ctx).exec().status(ctx.pathParam("id"),
        Params.seconds(ctx, "wait", MAX_WAIT_SECONDS), Params.integer(ctx, "offset", 0, Integer.MAX_VALUE).orElse(0),
        Params.integer(ctx, "tail", 1, Integer.MAX_VALUE).orElse(-1))));
    r.post("/execute/{id}/input", ctx -> {
      Bodies.Input body = ctx.bodyAsClass(Bodies.Input.class);
      ws(ctx).exec().input(ctx.pathParam("id"), Params.require(body.input(), "input"));
      ctx.json(Map.of("status", "ok"));
    });
    r.delete("/execute/{id}", ctx -> {
      ws(ctx).exec().kill(ctx.pathParam("id"), Params.bool(ctx, "force", false));
      ctx.json(Map.of("status", "killed"));
    });

    // Files
    r.get("/files/cwd", ctx -> {
      Workspace ws = ws(ctx);
      Map<String, Object> answer = new java.util.LinkedHashMap<>();
      answer.put("cwd", ws.cwd(Params.session(ctx)));
      answer.put("home", ws.home());
      hints.root(ws.home()).ifPresent(root -> answer.put("root", root));
      ctx.json(answer);
    });
    r.post("/files/cwd", ctx -> {
      Bodies.PathOnly body = ctx.bodyAsClass(Bodies.PathOnly.class);
      ctx.json(Map.of("cwd", ws(ctx).changeCwd(Params.session(ctx), Params.require(body.path(), "path"))));
    });
    r.get("/files/list", ctx -> ctx.json(ws(ctx).files().list(Params.optional(ctx, "directory", "."), cwd(ctx))));
    r.get("/files/read", this::read);
    r.get("/files/display", ctx -> ctx.json(ws(ctx).files().display(Params.required(ctx, "path"), cwd(ctx))));
    r.get("/files/view", ctx -> raw(ctx, ws(ctx).files().openRaw(Params.required(ctx, "path"), cwd(ctx)), false));
    r.get("/files/serve/<path>", ctx -> raw(ctx, ws(ctx).files().openRaw(ctx.pathParam("path"), ws(ctx).home()), true));
    r.post("/files/write", ctx -> {
      Bodies.Write body = ctx.bodyAsClass(Bodies.Write.class);
      ctx.json(ws(ctx).files().write(Params.require(body.path(), "path"), cwd(ctx), Params.require(body.content(), "content")));
    });
    r.post("/files/replace", this::replace);
    r.get("/files/grep", ctx -> ctx.json(ws(ctx).files().grep(new GrepQuery(
        Params.required(ctx, "query"), Params.optional(ctx, "path", "."), cwd(ctx),
        Params.bool(ctx, "regex", true), Params.bool(ctx, "case_insensitive", false), Params.list(ctx, "include"),
        Params.bool(ctx, "match_per_line", true), Params.integer(ctx, "max_results", 1, 500).orElse(100)))));
    r.get("/files/glob", ctx -> ctx.json(ws(ctx).files().glob(new GlobQuery(
        Params.required(ctx, "pattern"), Params.optional(ctx, "path", "."), cwd(ctx), Params.list(ctx, "exclude"),
        Params.optional(ctx, "type", "any"), Params.integer(ctx, "max_results", 1, 500).orElse(100)))));
    r.post("/files/mkdir", ctx -> {
      Bodies.PathOnly body = ctx.bodyAsClass(Bodies.PathOnly.class);
      ctx.json(Map.of("path", ws(ctx).files().mkdir(Params.require(body.path(), "path"), cwd(ctx))));
    });
    r.delete("/files/delete", ctx -> ctx.json(ws(ctx).files().delete(Params.required(ctx, "path"), cwd(ctx))));
    r.post("/files/move", ctx -> {
      Bodies.Move body = ctx.bodyAsClass(Bodies.Move.class);
      ctx.json(ws(ctx).files().move(Params.require(body.source(), "source"), Params.require(body.destination(), "destination"), cwd(ctx)));
    });
    r.post("/files/upload", this::upload);
    r.post("/files/archive", this::archive);

    // Kernels, notebooks, and the Jupyter Server subset
    new KernelRoutes(ctx -> workspaces.of(ctx)).register(r);
    new JupyterRoutes(workspaces, settings.access()).register(r);
    new TerminalRoutes(workspaces, settings.access()).register(r);
  }

  /**
   * Javalin copies the HTTP session's attributes at every WebSocket upgrade, which creates a
   * session that never expires: a client reconnecting in a loop would grow memory without bound.
   * This API has no use for HTTP sessions, so the one just created goes at once.
   */
  private static void forgetHttpSession(Context ctx) {
    jakarta.servlet.http.HttpSession session = ctx.req().getSession(false);
    if (session != null) {
      try {
        session.invalidate();
      } catch (IllegalStateException e) {
        // already gone
      }
    }
  }

  private Workspace ws(Context ctx) {
    return workspaces.of(ctx);
  }

  private String cwd(Context ctx) {
    return ws(ctx).cwd(Params.session(ctx));
  }

  private void execute(Context ctx) throws InterruptedException {
    Bodies.Execute body = ctx.bodyAsClass(Bodies.Execute.class);
    Duration wait = Params.seconds(ctx, "wait", MAX_WAIT_SECONDS);
    int tail = Params.integer(ctx, "tail", 1, Integer.MAX_VALUE).orElse(-1);
    Duration timeout = Params.timeout(body.timeout(), 86_400);
    ExecutionView view = ws(ctx).run(Params.require(body.command(), "command"), Optional.ofNullable(body.cwd()),
        body.env() == null ? Map.of() : body.env(), timeout, Params.session(ctx), wait, tail);
    ctx.json(view);
  }

  private void read(Context ctx) {
    FileContent content = ws(ctx).files().read(Params.required(ctx, "path"), cwd(ctx),
        Params.integer(ctx, "start_line", 1, Integer.MAX_VALUE), Params.integer(ctx, "end_line", 1, Integer.MAX_VALUE));
    switch (content) {
      case TextContent text -> ctx.json(text);
      case BinaryContent image -> {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "sandbox");
        ctx.contentType(image.mimeType()).result(image.bytes());
      }
    }
  }

  /**
   * Raw bytes of a workspace file. Workspace content is untrusted: the response is confined by a
   * CSP sandbox (an opaque origin, so a page cannot reach this origin's storage or API), with
   * scripts allowed only on the serve route that exists to show live HTML.
   */
  private static void raw(Context ctx, RawFile file, boolean allowScripts) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Content-Security-Policy", allowScripts ? "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads" : "sandbox");
    ctx.header("Content-Length", Long.toString(file.size()));
    ctx.contentType(file.mimeType()).result(file.stream());
  }

  private void replace(Context ctx) {
    Bodies.Replace body = ctx.bodyAsClass(Bodies.Replace.class);
    List<Bodies.Replacement> items = Params.require(body.replacements(), "replacements");
    if (items.isEmpty()) {
      throw new BadRequest("replacements must not be empty");
    }
    List<Replacement> replacements = items.stream().map(item -> new Replacement(
        Params.require(item.target(), "target"), Params.require(item.replacement(), "replacement"),
        optionalInt(item.startLine()), optionalInt(item.endLine()), Boolean.TRUE.equals(item.allowMultiple()))).toList();
    ctx.json(ws(ctx).files().replace(Params.require(body.path(), "path"), cwd(ctx), replacements));
  }

  private void upload(Context ctx) throws java.io.IOException {
    String type = ctx.contentType();
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
      throw new BadRequest("upload a file as multipart/form-data in the field 'file'");
    }
    if (ctx.contentLength() > settings.maxUploadBytes() + 65_536) {
      throw new PayloadTooLarge("the upload is larger than the limit of " + settings.maxUploadBytes() + " bytes");
    }
    UploadedFile file;
    try {
      file = ctx.uploadedFile("file");
    } catch (IllegalStateException e) {
      throw new PayloadTooLarge("the upload is larger than the limit of " + settings.maxUploadBytes() + " bytes");
    }
    if (file == null) {
      throw new BadRequest("the multipart field 'file' is missing");
    }
    try (java.io.PushbackInputStream content = new java.io.PushbackInputStream(file.content(), 1)) {
      // Jetty opens a spooled part's file on its first read. Read one byte here, with the server's
      // rights: the copy runs with the workspace owner's, who cannot open the server's spool file.
      int first = content.read();
      if (first >= 0) {
        content.unread(first);
      }
      ctx.json(ws(ctx).files().upload(Params.optional(ctx, "directory", "."), cwd(ctx), file.filename(), content));
    }
  }

  private void archive(Context ctx) throws java.io.IOException {
    Bodies.Archive body = ctx.bodyAsClass(Bodies.Archive.class);
    List<String> paths = Params.require(body.paths(), "paths");
    if (paths.isEmpty()) {
      throw new BadRequest("paths must not be empty");
    }
    Workspace ws = ws(ctx);
    String cwd = ws.cwd(Params.session(ctx));
    for (String path : paths) {
      ws.files().resolve(path, cwd); // fail before the response starts
    }
    // Spooled to a server-owned temp file, so a failure still becomes a clean error response and
    // memory stays flat; the file is deleted when the response stream closes.
    java.nio.file.Path spool = java.nio.file.Files.createTempFile(settings.uploadCache(), "archive-", ".zip");
    try (var out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(spool))) {
      ws.files().archive(paths, cwd, out);
    } catch (RuntimeException | java.io.IOException e) {
      java.nio.file.Files.deleteIfExists(spool);
      throw e;
    }
    ctx.header("Content-Disposition", "attachment; filename=\"archive.zip\"");
    ctx.header("Content-Length", Long.toString(java.nio.file.Files.size(spool)));
    ctx.contentType("application/zip").result(java.nio.file.Files.newInputStream(spool, java.nio.file.StandardOpenOption.DELETE_ON_CLOSE));
  }

  private static OptionalInt optionalInt(Integer value) {
    return value == null ? OptionalInt.empty() : OptionalInt.of(value);
  }
}
