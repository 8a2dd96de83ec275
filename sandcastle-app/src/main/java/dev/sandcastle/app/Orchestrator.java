package dev.sandcastle.app;

import dev.sandcastle.api.ApiSettings;
import dev.sandcastle.api.OpenApiDocument;
import dev.sandcastle.api.WorkspaceApi;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.orchestrator.account.AccountService;
import dev.sandcastle.orchestrator.admin.AdminApi;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.audit.SiemForwarder;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Authenticator;
import dev.sandcastle.orchestrator.auth.FailureThrottle;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.docker.DockerBackend;
import dev.sandcastle.orchestrator.backend.fixed.StaticBackend;
import dev.sandcastle.orchestrator.backend.local.Accounts;
import dev.sandcastle.orchestrator.backend.local.LinuxAccounts;
import dev.sandcastle.orchestrator.backend.local.LocalBackend;
import dev.sandcastle.orchestrator.backend.local.UidRange;
import dev.sandcastle.orchestrator.crypto.KeyRing;
import dev.sandcastle.orchestrator.conversation.ConversationService;
import dev.sandcastle.orchestrator.db.Database;
import dev.sandcastle.orchestrator.http.AccountRoutes;
import dev.sandcastle.orchestrator.http.WebRoutes;
import dev.sandcastle.orchestrator.http.ConversationRoutes;
import dev.sandcastle.orchestrator.http.ProxyRoutes;
import dev.sandcastle.orchestrator.http.TenantAccess;
import dev.sandcastle.interpreter.chat.ChatRoutes;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.policy.PolicyRepository;
import dev.sandcastle.orchestrator.tenant.TenantRepository;
import dev.sandcastle.orchestrator.tenant.TenantService;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring of the multi-tenant server ({@code sandcastle serve}, and {@code sandcastle terminal
 * --multi-user}): state, keys, audit, backend, tenants, authentication, and one HTTP server with
 * the admin API and the workspace API per tenant (served in-process for the local backend,
 * proxied for remote ones). The one place that news these things up; closes them in reverse.
 */
final class Orchestrator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Orchestrator.class);

  private final Deque<AutoCloseable> resources;
  private final Javalin app;
  private final TenantService tenants;
  private final Backend backend;

  private Orchestrator(Deque<AutoCloseable> resources, Javalin app, TenantService tenants, Backend backend) {
    this.resources = resources;
    this.app = app;
    this.tenants = tenants;
    this.backend = backend;
  }

  /** Builds and starts the server; the caller closes it. */
  static Orchestrator start(Config config, PrintWriter out, boolean multiUser) {
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    try {
      return start(config, out, multiUser, resources);
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  private static Orchestrator start(Config config, PrintWriter out, boolean multiUser, Deque<AutoCloseable> resources) {
    Config.Orchestration o = config.orchestration();
    if (o.backend().equals("local") || multiUser) {
      Server.checkSandboxTools(config); // remote backends' workspaces bring their own tools
    }
    resources.push(Server.lockDataDir(config.dataDir())::close);
    String adminKey = ApiKeys.resolve(config, out);

    boolean embedded = o.databaseUrl().isEmpty();
    Database database = embedded ? Database.open(Database.h2Url(config.dataDir()), "sa", "")
        : Database.open(o.databaseUrl(), o.databaseUser(), o.databasePassword());
    resources.push(database);
    DataDirectory.secure(config.dataDir()); // the embedded database's files, new or left by older versions at 0644
    KeyRing keys = KeyRing.load(o.masterKey(), o.previousMasterKeys(), config.dataDir().resolve("master.key"));
    SiemForwarder siem = null;
    if (o.siemUrl().isPresent()) {
      siem = SiemForwarder.start(database, SiemForwarder.Config.of(o.siemUrl().get(), o.siemSecret()));
      resources.push(siem);
    }
    AuditLog audit = siem == null ? AuditLog.open(database) : AuditLog.open(database, siem);
    resources.push(audit);
    audit.retainFor(o.auditRetention(), Duration.ofHours(1), java.time.InstantSource.system());

    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(metrics);
    if (siem != null) {
      SiemForwarder forwarder = siem;
      metrics.gauge("sandcastle.siem.backlog", forwarder, SiemForwarder::backlog);
    }
    Policy maxima = Policy.serverMaxima(config.policy().limits(), o.storageBytes(), o.idleTimeout(),
        config.policy().network().name().toLowerCase(java.util.Locale.ROOT)).withReadOnlyPaths(config.policy().readOnlyPaths());
    Policies policies = new Policies(new PolicyRepository(database), maxima, o.allowedImages(), allowedRuntimes(config, multiUser));

    Backend backend = backend(config, multiUser, resources);
    resources.push(backend);
    Policy warm;
    try {
      warm = policies.resolve(dev.sandcastle.orchestrator.tenant.TenantKey.DEFAULT_POLICY);
    } catch (dev.sandcastle.core.errors.Unavailable e) {
      warm = null; // its runtime is not allowed: Policies logged why; no spares under it
    }
    if (warm != null && backend instanceof LocalBackend local) {
      local.keepWarm(warm, o.warmPool());
    } else if (warm != null && backend instanceof DockerBackend docker) {
      docker.keepWarm(warm, o.warmPool());
    }
    TenantService tenants = new TenantService(new TenantRepository(database), policies, backend, keys, audit, metrics, Clock.systemUTC(),
        o.maxTenantsPerUser());
    resources.push(tenants);
    tenants.start(o.sweepInterval());

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    resources.push(http::close);
    AccountService accounts = new AccountService(database, audit, config.dataDir().resolve("session.key"), o.allowSignup(),
        AccountService.DEFAULT_SESSION_TTL);
    resources.push(accounts);
    AuthSettings authSettings;
    try {
      authSettings = new AuthSettings(adminKey, o.webuiSecret(), o.jwksUrl(), o.jwtAlgorithms(), AuthSettings.DEFAULT_CLOCK_SKEW,
          o.openWebuiUrl(), AuthSettings.DEFAULT_CALLBACK_TTL).withSessionKey(accounts.sessionKey())
          .withIssuers(o.jwtIssuers()).withAudiences(o.jwtAudiences());
    } catch (IllegalArgumentException e) {
      throw new Config.Invalid(e.getMessage());
    }
    if (authSettings.trustsAnyJwksToken()) {
      log.warn("--jwks-url is set without --jwt-issuer or --jwt-audience: any token signed by those keys is accepted, for any user id"
          + " it names; if the key set is an identity provider's, set the issuer and audience of tokens meant for this server");
    }
    TenantAccess access = new TenantAccess(new Authenticator(authSettings, http, accounts.revocations()), new FailureThrottle(), audit, tenants, policies,
        (method, path) -> ((method.equals("GET") || method.equals("HEAD")) && ChatRoutes.isSignedPath(path))
            || AccountRoutes.isCredentialFree(method, path) || WebRoutes.isPublic(method, path)
            || dev.sandcastle.orchestrator.http.PyodideRoutes.isPublic(method, path), o.sharedJupyterUser());
    // Sockets check their token once, at their start: close those whose session was signed out since.
    var socketSweep = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("signed-out-sockets").daemon().factory());
    socketSweep.scheduleWithFixedDelay(() -> {
      try {
        access.closeSignedOutSockets();
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(Orchestrator.class).warn("closing signed-out sockets failed: {}", e.toString());
      }
    }, 5, 5, java.util.concurrent.TimeUnit.SECONDS);
    resources.push(socketSweep::shutdownNow);
    WebRoutes web = new WebRoutes();
    java.util.Optional<dev.sandcastle.orchestrator.pyodide.PackageMirror> mirror = Pyodide.mirror(config);
    mirror.ifPresent(m -> resources.push(m));
    dev.sandcastle.orchestrator.http.PyodideRoutes pyodide = new dev.sandcastle.orchestrator.http.PyodideRoutes(mirror, TenantAccess::isAdmin);
    AccountRoutes accountRoutes = new AccountRoutes(accounts, access);
    ConversationRoutes conversationRoutes = new ConversationRoutes(new ConversationService(database));
    java.util.concurrent.atomic.AtomicInteger listening = new java.util.concurrent.atomic.AtomicInteger();
    ChatRoutes chat = Interpreter.routes(config, adminKey, access, tenants, resources, listening::get);
    AdminApi admin = new AdminApi(tenants, policies, audit, metrics, TenantAccess::caller, TenantAccess::isAdmin);
    Path uploads = config.dataDir().resolve("tmp");
    try {
      Files.createDirectories(uploads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + uploads, e);
    }
    ApiSettings api = new ApiSettings(access, config.maxRequestBytes(), config.maxUploadBytes(), uploads, ApiSettings.TENANT_PREFIXES)
        .withProxies(config.trustedProxies());
    Javalin app;
    WorkspaceApi workspaces = new WorkspaceApi(access, api, OpenApiDocument.load().with(AdminApi.openApi()), config.hints());
    if (backend instanceof LocalBackend) {
      app = WorkspaceApi.server(config.host(), config.port(), api, routes -> {
        web.register(routes);
        pyodide.register(routes);
        admin.register(routes);
        accountRoutes.register(routes);
        conversationRoutes.register(routes);
        chat.register(routes);
        workspaces.register(routes);
        routes.after(access::audited);
      });
    } else {
      ProxyRoutes proxy = new ProxyRoutes(access, metrics);
      resources.push(proxy);
      app = WorkspaceApi.server(config.host(), config.port(), api, routes -> {
        web.register(routes);
        pyodide.register(routes);
        admin.register(routes);
        accountRoutes.register(routes);
        conversationRoutes.register(routes);
        chat.register(routes);
        workspaces.registerPublic(routes);
        proxy.register(routes);
        routes.after(access::audited);
      });
    }
    try {
      app.start();
    } catch (RuntimeException e) {
      throw new Config.Invalid("cannot listen on " + config.host() + ":" + config.port() + ": " + Server.rootCause(e));
    }
    resources.push(app::stop);
    listening.set(app.port());
    log.info("Sandcastle orchestrator on http://{}:{} ({} backend{}, state in {})", config.host(), app.port(), backend.name(),
        multiUser ? ", one Linux account per user" : "", o.databaseUrl().isEmpty() ? "the embedded database" : "PostgreSQL");
    if (web.available()) {
      log.info("Open http://{}:{}/ in a browser to chat (the first account created there becomes the administrator)",
          config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host(), app.port());
    }
    return new Orchestrator(resources, app, tenants, backend);
  }

  private static Backend backend(Config config, boolean multiUser, Deque<AutoCloseable> resources) {
    Config.Orchestration o = config.orchestration();
    if (o.backend().equals("static") && !multiUser) {
      return new StaticBackend(o.staticUrl().orElseThrow(), o.staticKey());
    }
    if (o.backend().equals("docker") && !multiUser) {
      return new DockerBackend(new DockerBackend.Settings(o.docker().host(), o.cluster().image(), o.docker().runtime(), o.docker().network(),
          orchestratorId(config), dev.sandcastle.app.image.ImageBuilder.PORT, Duration.ofSeconds(60), Duration.ofSeconds(10)));
    }
    if ((o.backend().equals("kubernetes") || o.backend().equals("operator")) && !multiUser) {
      io.fabric8.kubernetes.client.KubernetesClient client = Kubernetes.client();
      resources.push(client::close);
      String id = Kubernetes.orchestratorId(config);
      return o.backend().equals("kubernetes")
          ? new dev.sandcastle.orchestrator.backend.kubernetes.KubernetesBackend(client, Kubernetes.settings(config, client, id))
          : new dev.sandcastle.orchestrator.backend.operator.OperatorBackend(client, Kubernetes.namespace(config, client), id,
              o.cluster().readyTimeout(), Clock.systemUTC());
    }
    Accounts accounts = multiUser ? new LinuxAccounts(new LinuxAccounts.Settings(o.multiUserHomes(),
        LinuxAccounts.Settings.defaults().firstUid(), LinuxAccounts.Settings.defaults().lastUid())) : new UidRange(o.tenantUidBase(), config.dataDir().resolve("homes"));
    Cgroups cgroups = Cgroups.detect();
    if (!cgroups.available()) {
      log.warn("{}: memory, process and CPU limits are NOT enforced", cgroups.describe());
    }
    return new LocalBackend(new LocalBackend.Settings(config.dataDir(), config.policy().mechanism(), config.exec(), config.files(),
        config.kernels(), config.terminals()), accounts, cgroups);
  }

  /**
   * The runtimes policies may name: {@code --allowed-runtimes} and the backend's own default
   * runtime ({@code --docker-runtime} or {@code --kubernetes-runtime-class}). The local and static
   * backends run no containers: a runtime named there would promise what nothing enforces, so the
   * log says so.
   */
  static java.util.Set<String> allowedRuntimes(Config config, boolean multiUser) {
    Config.Orchestration o = config.orchestration();
    String backend = multiUser ? "local" : o.backend();
    String own = switch (backend) {
      case "docker" -> o.docker().runtime();
      case "kubernetes", "operator" -> o.cluster().runtimeClass();
      default -> "";
    };
    if (!o.allowedRuntimes().isEmpty() && (backend.equals("local") || backend.equals("static"))) {
      log.warn("--allowed-runtimes has no effect on the {} backend: it runs no containers, so a policy's runtime is not applied", backend);
    }
    java.util.Set<String> allowed = new java.util.TreeSet<>(o.allowedRuntimes());
    if (!own.isEmpty()) {
      allowed.add(own);
    }
    return allowed;
  }

  /** Tells this server's containers from those of other servers on the same engine: a hash of its data directory. */
  static String orchestratorId(Config config) {
    return dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(config.dataDir().toString());
  }

  static int run(Config config, PrintWriter out, PrintWriter err, boolean multiUser) {
    Orchestrator server;
    try {
      server = start(config, out, multiUser);
    } catch (Config.Invalid e) {
      throw e;
    } catch (RuntimeException e) {
      err.println("sandcastle: cannot start: " + Server.rootCause(e));
      return 1;
    }
    return Server.awaitShutdown(server);
  }

  /**
   * {@code sandcastle keys rotate}: a new master key becomes active and every stored workspace key
   * is re-encrypted under it, in one transaction. Needs the server stopped (it takes the data
   * directory's lock); old keys stay in the key file so a backup of the database still opens.
   */
  static int rotateKeys(Config config, PrintWriter out) {
    Config.Orchestration o = config.orchestration();
    try (var lock = Server.lockDataDir(config.dataDir());
        Database database = o.databaseUrl().isEmpty() ? Database.open(Database.h2Url(config.dataDir()), "sa", "")
            : Database.open(o.databaseUrl(), o.databaseUser(), o.databasePassword())) {
      Path keyFile = config.dataDir().resolve("master.key");
      KeyRing keys = KeyRing.load(o.masterKey(), o.previousMasterKeys(), keyFile);
      String previous = keys.activeKeyId();
      if (keys.fromEnvironment()) {
        out.println("The master key comes from SANDCASTLE_MASTER_KEY: set the new key there, the old one in"
            + " SANDCASTLE_MASTER_KEY_PREVIOUS, and run this again to re-encrypt.");
      } else {
        keys.rotate(keyFile);
      }
      int count = dev.sandcastle.orchestrator.crypto.KeyRotation.reencryptTenantApiKeys(new TenantRepository(database), keys);
      out.printf("Master key %s is active (was %s); %d workspace keys re-encrypted.%n", keys.activeKeyId(), previous, count);
      out.flush();
      return 0;
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code sandcastle docker prune}: removes every container this server's docker backend made
   * (and the networks no container uses any more), keeping tenants' homes unless {@code volumes}.
   * Needs the server stopped (it takes the data directory's lock): a running one would start them
   * again, or lose track of them.
   */
  static int pruneDocker(Config config, boolean volumes, PrintWriter out, PrintWriter err) {
    Config.Orchestration o = config.orchestration();
    try (var lock = Server.lockDataDir(config.dataDir())) {
      var result = dev.sandcastle.orchestrator.backend.docker.DockerPrune.prune(o.docker().host(), orchestratorId(config), volumes,
          Duration.ofSeconds(10));
      out.printf("Removed %d container%s of this server (%s) and %d volume%s%s; networks removed: %s.%n", result.containers(),
          result.containers() == 1 ? "" : "s", orchestratorId(config), result.volumes(), result.volumes() == 1 ? "" : "s",
          volumes ? ", homes included" : result.homesRenamed() > 0 ? "; " + result.homesRenamed()
              + " home(s) of tenants that had taken a warm spare were copied to volumes named after them" : "",
          result.networks().isEmpty() ? "none" : String.join(", ", result.networks()));
      if (!volumes) {
        out.println("Tenants' home volumes are kept: their files are there when the server starts again (--volumes removes them).");
      }
      result.problems().forEach(problem -> err.println("sandcastle docker prune: " + problem));
      out.flush();
      return result.problems().isEmpty() ? 0 : 1;
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    } catch (dev.sandcastle.core.errors.Unavailable e) {
      err.println("sandcastle docker prune: " + e.getMessage());
      return 1;
    }
  }

  int port() {
    return app.port();
  }

  TenantService tenants() {
    return tenants;
  }

  Backend backend() {
    return backend;
  }

  @Override
  public void close() {
    closeAll(resources);
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        log.warn("while shutting down: {}", e.toString());
      }
    }
  }
}
