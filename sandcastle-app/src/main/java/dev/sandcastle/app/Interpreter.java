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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Wiring of the code interpreter into the orchestrator: models, engines, the chat routes. */
final class Interpreter {
  private Interpreter() {}

  static ChatRoutes routes(Config config, String adminKey, TenantAccess access, TenantService tenants, Deque<AutoCloseable> resources) {
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
    OutputLinks links = new OutputLinks(linkKey(adminKey), Duration.ofDays(7), Clock.systemUTC());
    return new ChatRoutes(chat, new Tenants(access, tenants, links), links, broker);
  }

  /** A key for signing output links, derived from the admin key (so links outlive a restart). */
  private static byte[] linkKey(String adminKey) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(("sandcastle output links\n" + adminKey).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The chat routes' view of tenants: a request's user and workspace, sockets of browser pages. */
  private record Tenants(TenantAccess access, TenantService tenants, OutputLinks links) implements ChatTenants {
    @Override
    public ChatCaller caller(Context request) {
      TenantKey key = TenantAccess.tenantOf(request).orElseThrow(() -> new IllegalStateException("chat request without a tenant"));
      Optional<Workspace> workspace = local(access.instance(request));
      OutputLinks.Owner owner = new OutputLinks.Owner(key.userId(), key.policyId(), key.contextId());
      return new ChatCaller(key.userId(), workspace, new OutputStore(workspace, name -> links.link(owner, name)));
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
