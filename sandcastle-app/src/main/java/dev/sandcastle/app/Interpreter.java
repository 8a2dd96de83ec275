package dev.sandcastle.app;

import dev.sandcastle.api.Handshake;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.interpreter.chat.ChatCaller;
import dev.sandcastle.interpreter.chat.ChatRoutes;
import dev.sandcastle.interpreter.chat.ChatService;
import dev.sandcastle.interpreter.chat.ChatSettings;
import dev.sandcastle.interpreter.chat.ChatTenants;
import dev.sandcastle.interpreter.chat.OutputLinks;
import dev.sandcastle.interpreter.chat.OutputStore;
import dev.sandcastle.interpreter.chat.ToolTransport;
import dev.sandcastle.interpreter.engine.Engine;
import dev.sandcastle.interpreter.engine.JupyterEngine;
import dev.sandcastle.interpreter.engine.JupyterSettings;
import dev.sandcastle.interpreter.engine.PyodideBroker;
import dev.sandcastle.interpreter.engine.PyodideEngine;
import dev.sandcastle.interpreter.engine.WorkspaceEngine;
import dev.sandcastle.interpreter.openai.OpenAiClient;
import dev.sandcastle.interpreter.openai.Upstreams;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.http.TenantAccess;
import dev.sandcastle.orchestrator.tenant.Caller;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantService;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Wiring of the code interpreter into the orchestrator: models, engines, the chat routes. */
final class Interpreter {
  private Interpreter() {}

  /**
   * @param port this server's port once it listens: the Open Terminal tools of a chat call the
   *     user's workspace API over loopback, with the service credentials
   */
  static ChatRoutes routes(Config config, String adminKey, TenantAccess access, TenantService tenants, Deque<AutoCloseable> resources,
      java.util.function.IntSupplier port) {
    Config.Interpreter ci = config.interpreter();
    Upstreams upstreams;
    try {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("OPENAI_API_BASE_URLS", ci.baseUrls());
      env.put("OPENAI_API_KEYS", ci.keys());
      upstreams = Upstreams.fromEnvironment(env);
    } catch (IllegalArgumentException e) {
      throw new Config.Invalid(e.getMessage());
    }
    OpenAiClient models = new OpenAiClient(upstreams);
    resources.push(models);
    PyodideBroker broker = new PyodideBroker();
    Map<String, Engine> engines = new LinkedHashMap<>();
    engines.put(WorkspaceEngine.NAME, new WorkspaceEngine());
    engines.put(PyodideEngine.NAME, new PyodideEngine(broker));
    if (ci.jupyterUrl().isPresent()) {
      JupyterEngine jupyter = new JupyterEngine(new JupyterSettings(ci.jupyterUrl().get().toString(), ci.jupyterToken()));
      resources.push(jupyter);
      engines.put(JupyterEngine.NAME, jupyter);
    }
    ChatService chat = new ChatService(models, engines, new ChatSettings(ci.maxRounds(), ci.engine(), ci.legacy(), ci.codeTimeout()));
    OutputLinks links = new OutputLinks(linkKey(config.dataDir()), Duration.ofDays(7), Clock.systemUTC());
    String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
    java.net.http.HttpClient loopback = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    resources.push(loopback::close);
    Loopback terminal = new Loopback(loopback, host, port, adminKey);
    return new ChatRoutes(chat, new Tenants(access, tenants, links, terminal), links, broker);
  }

  /**
   * The key that signs output links: 32 random bytes kept in {@code <data-dir>/links.key} (mode
   * 0600, made on first start), so links outlive a restart. Random, not derived from the admin
   * key: a link is a known message and MAC, which would let anyone holding one guess a short admin
   * key offline.
   */
  private static byte[] linkKey(java.nio.file.Path dataDir) {
    java.nio.file.Path file = dataDir.resolve("links.key");
    try {
      if (!java.nio.file.Files.exists(file)) {
        byte[] fresh = new byte[32];
        new java.security.SecureRandom().nextBytes(fresh);
        java.nio.file.Path temp = java.nio.file.Files.createTempFile(dataDir, ".links", ".key",
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(temp, java.util.Base64.getEncoder().encodeToString(fresh) + "\n");
        try {
          java.nio.file.Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
          java.nio.file.Files.deleteIfExists(temp);
          throw e;
        }
      }
      return java.util.Base64.getDecoder().decode(java.nio.file.Files.readString(file).trim());
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new Config.Invalid("cannot read or create the link key " + file + ": " + e.getMessage());
    }
  }

  /** The chat routes' view of tenants: a request's user and workspace, sockets of browser pages. */
  /** The Open Terminal tools' way to a user's workspace: this server's own API, as a service call for that user. */
  private record Loopback(java.net.http.HttpClient http, String host, java.util.function.IntSupplier port, String adminKey) {
    ToolTransport forTenant(TenantKey key) {
      return (method, pathAndQuery, body) -> {
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        java.net.URI uri = java.net.URI.create("http://" + hostPart + ":" + port.getAsInt() + "/p/"
            + java.net.URLEncoder.encode(key.policyId(), StandardCharsets.UTF_8) + pathAndQuery);
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
            .header("Authorization", "Bearer " + adminKey).header("X-User-Id", key.userId())
            .header("X-Terminal-Context-Id", key.contextId())
            .method(method, body.map(java.net.http.HttpRequest.BodyPublishers::ofString).orElse(java.net.http.HttpRequest.BodyPublishers.noBody()));
        body.ifPresent(b -> request.header("Content-Type", "application/json"));
        try {
          var response = http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
          return new ToolTransport.Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new dev.sandcastle.core.errors.Unavailable("interrupted");
        }
      };
    }
  }

  private record Tenants(TenantAccess access, TenantService tenants, OutputLinks links, Loopback terminal) implements ChatTenants {
    @Override
    public ChatCaller caller(Context request) {
      TenantKey key = TenantAccess.tenantOf(request).orElseThrow(() -> new IllegalStateException("chat request without a tenant"));
      Optional<Workspace> workspace = local(access.instance(request));
      OutputLinks.Owner owner = new OutputLinks.Owner(key.userId(), key.policyId(), key.contextId());
      return new ChatCaller(key.userId(), workspace, new OutputStore(workspace, name -> links.link(owner, name)),
          Optional.of(terminal.forTenant(key)));
    }

    @Override
    public Optional<Workspace> workspace(OutputLinks.Owner owner) {
      return local(tenants.acquire(new TenantKey(owner.userId(), owner.policyId(), owner.contextId()), Caller.SYSTEM));
    }

    @Override
    public String authenticate(Handshake socket, Optional<String> token) {
      access.checkSocket(socket, token);
      return TenantAccess.tenantOf(socket).orElseThrow().userId();
    }

    @Override
    public void closed(Handshake socket) {
      access.socketClosed(socket);
    }

    private static Optional<Workspace> local(Instance instance) {
      return instance instanceof Instance.Local local ? Optional.of(local.workspace()) : Optional.empty();
    }
  }
}
