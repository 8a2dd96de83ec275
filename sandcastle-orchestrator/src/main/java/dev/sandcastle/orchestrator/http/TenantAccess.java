package dev.sandcastle.orchestrator.http;

import dev.sandcastle.api.Access;
import dev.sandcastle.api.Handshake;
import dev.sandcastle.api.SocketRefused;
import dev.sandcastle.api.Workspaces;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.orchestrator.audit.AuditEvent;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.auth.Authenticator;
import dev.sandcastle.orchestrator.auth.FailureThrottle;
import dev.sandcastle.orchestrator.auth.Principal;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.tenant.Caller;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantService;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Authentication and tenant routing of the orchestrator's HTTP API. Admin paths ({@code
 * /api/v1/...}, {@code /metrics}) need the admin key or an admin token; every other non-public
 * path is a workspace request and needs a user: the admin key plus {@code X-User-Id} (a service
 * call, as Open WebUI's orchestrator connection makes), or a user's token (whose user must match
 * {@code X-User-Id} when both are sent). The tenant is (user, the {@code /p/{id}} policy or
 * {@code default}, {@code X-Terminal-Context-Id} or {@code default}).
 *
 * <p>Every failure is audited as {@code auth_failed} and repeated failures from one address are
 * answered ever more slowly. Sockets: the token comes from the first message or {@code ?token=}
 * and names the user as on REST; {@code user_id} and {@code context_id} come from the query (or
 * the headers), the user id being needed only with the admin key; refusals close with 4001
 * (authentication), 4002 (the admin key without a user id), 4003 (another user's token, or the
 * workspace cannot start), 4004 (bad policy or context). Jupyter API calls with the admin key and
 * no user go to the shared Jupyter user's workspace when one is configured.
 */
public final class TenantAccess implements Access, Workspaces {
  static final String TENANT = "sandcastle.tenant";
  static final String PRINCIPAL = "sandcastle.principal";
  static final String REQUEST_ID = "sandcastle.request-id";
  static final String CALLER = "sandcastle.caller";
  static final String COUNTED = "sandcastle.counted";

  private final Authenticator authenticator;
  private final FailureThrottle throttle;
  private final AuditLog audit;
  private final TenantService tenants;
  private final Policies policies;
  private final FailureLog floods = new FailureLog(20, java.time.Duration.ofMinutes(1), 10_000);

  private final java.util.function.BiPredicate<String, String> credentialFree;
  private final Optional<String> sharedJupyterUser;
  // Open sockets and the token each authenticated with (by identity: a handshake's attributes change).
  private final Map<Handshake, String> openSockets = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  /**
   * @param credentialFree requests (method, path) let through here without credentials: those that
   *     carry their own proof (a signed link) or are how credentials are obtained (sign-up and
   *     sign-in); their handlers must check what they need
   */
  public TenantAccess(Authenticator authenticator, FailureThrottle throttle, AuditLog audit, TenantService tenants, Policies policies,
      java.util.function.BiPredicate<String, String> credentialFree) {
    this(authenticator, throttle, audit, tenants, policies, credentialFree, Optional.empty());
  }

  /**
   * @param sharedJupyterUser the user whose workspace serves Jupyter API calls (kernels and their
   *     channels) made with the admin key and no user, as Open WebUI's Jupyter engine makes them;
   *     empty: those calls are refused like any other workspace call without a user
   */
  public TenantAccess(Authenticator authenticator, FailureThrottle throttle, AuditLog audit, TenantService tenants, Policies policies,
      java.util.function.BiPredicate<String, String> credentialFree, Optional<String> sharedJupyterUser) {
    this.sharedJupyterUser = sharedJupyterUser;
    this.credentialFree = credentialFree;
    this.authenticator = authenticator;
    this.throttle = throttle;
    this.audit = audit;
    this.tenants = tenants;
    this.policies = policies;
  }

  /**
   * Whether a path is the admin API's, with or without a tenant prefix and a trailing slash
   * (Javalin ignores trailing slashes, so {@code /metrics/} reaches the metrics route). Prefixed
   * forms never reach an admin route here, but a proxy would forward them to its upstream's.
   */
  public static boolean isAdminPath(String path) {
    for (String candidate : new String[] {path, localPath(path)}) {
      String p = candidate.length() > 1 && candidate.endsWith("/") ? candidate.replaceAll("/+$", "") : candidate;
      if (p.startsWith("/api/v1/") || p.equals("/api/v1") || p.equals("/metrics")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void check(Context ctx) {
    if (credentialFree.test(ctx.method().name(), ctx.path())) {
      return;
    }
    String requestId = Optional.ofNullable(ctx.header("X-Request-Id")).filter(id -> id.length() <= 128).orElseGet(() -> UUID.randomUUID().toString());
    ctx.attribute(REQUEST_ID, requestId);
    ctx.header("X-Request-Id", requestId);
    Optional<String> token = token(ctx);
    Optional<String> user = Optional.ofNullable(ctx.header("X-User-Id")).filter(u -> !u.isEmpty());
    try {
      if (isAdminPath(ctx.path())) {
        ctx.attribute(PRINCIPAL, authenticator.authenticateAdmin(token, user));
      } else {
        Principal principal = authenticator.authenticate(token, user);
        String userId = userOf(principal, ctx.path()).orElseThrow(() ->
            new BadRequest("the X-User-Id header is required: every workspace belongs to a user"));
        ctx.attribute(PRINCIPAL, principal);
        ctx.attribute(TENANT, new TenantKey(userId, policyOf(ctx.path()), ctx.header("X-Terminal-Context-Id")));
      }
      throttle.succeeded(ctx.ip());
    } catch (Unauthorized | Forbidden e) {
      failed(ctx.ip(), ctx.userAgent(), requestId, user.orElse(""), ctx.path(), e);
      throw e;
    }
  }

  @Override
  public void checkSocket(Handshake socket, Optional<String> token) {
    String requestId = UUID.randomUUID().toString();
    Optional<String> user = socket.queryParam("user_id").or(() -> socket.header("X-User-Id")).filter(u -> !u.isEmpty());
    String agent = socket.header("User-Agent").orElse("");
    Optional<String> presented = token.filter(t -> !t.isEmpty()).or(() -> socket.header("Authorization").flatMap(Access::bearer));
    Principal principal;
    try {
      principal = authenticator.authenticate(presented, user);
    } catch (Unauthorized e) {
      failed(socket.remoteAddress(), agent, requestId, user.orElse(""), socket.path(), e);
      throw new SocketRefused(SocketRefused.AUTH, e.getMessage());
    } catch (Forbidden e) {
      failed(socket.remoteAddress(), agent, requestId, user.orElse(""), socket.path(), e);
      throw new SocketRefused(SocketRefused.IDENTITY, e.getMessage());
    } catch (SandcastleException e) {
      throw new SocketRefused(SocketRefused.IDENTITY, e.getMessage());
    }
    // A user's token names its user, as on REST; the admin key needs one (or is the shared Jupyter user's).
    String userId = userOf(principal, socket.path())
        .orElseThrow(() -> new SocketRefused(SocketRefused.MISSING_USER, "the user_id query parameter is required with the admin key"));
    TenantKey key;
    try {
      key = new TenantKey(userId, policyOf(socket.path()),
          socket.queryParam("context_id").or(() -> socket.header("X-Terminal-Context-Id")).orElse(null));
      policies.resolve(key.policyId());
    } catch (BadRequest | NotFound e) {
      throw new SocketRefused(SocketRefused.NOT_FOUND, e.getMessage());
    }
    Caller caller = new Caller(key.userId(), requestId, socket.remoteAddress(), agent);
    try {
      tenants.acquire(key, caller);
    } catch (SandcastleException e) {
      throw new SocketRefused(SocketRefused.IDENTITY, "the workspace is unreachable: " + e.getMessage());
    }
    throttle.succeeded(socket.remoteAddress());
    socket.attributes().put(TENANT, key);
    socket.attributes().put(CALLER, caller);
    presented.ifPresent(t -> openSockets.put(socket, t));
    tenants.socketOpened(key);
    audit.record(AuditEvent.builder("ws_connect").user(key.userId()).request(requestId).client(socket.remoteAddress(), agent).resource("websocket", socket.path()).build());
  }

  /** A Jupyter login's password: the admin key or a user's token, checked (and throttled) like one. */
  @Override
  public void checkPassword(Context ctx, String password) {
    attempt(ctx, () -> authenticator.authenticate(Optional.of(password), Optional.empty()));
  }

  /**
   * Closes the open sockets whose session has been signed out since they authenticated (4001): a
   * socket checks its token once, at its start, and automatic pings keep it open for hours. Called
   * every few seconds by the wiring; returns how many were closed.
   */
  public int closeSignedOutSockets() {
    List<Handshake> ended;
    synchronized (openSockets) {
      ended = openSockets.entrySet().stream().filter(e -> authenticator.signedOut(e.getValue())).map(Map.Entry::getKey).toList();
    }
    for (Handshake socket : ended) {
      openSockets.remove(socket);
      socket.close(SocketRefused.AUTH, "the session has been signed out: sign in again");
    }
    return ended.size();
  }

  @Override
  public void socketClosed(Handshake socket) {
    openSockets.remove(socket);
    if (socket.attributes().remove(TENANT) instanceof TenantKey key) { // once per socket, however often called
      tenants.socketClosed(key);
      Caller caller = (Caller) socket.attributes().get(CALLER);
      audit.record(AuditEvent.builder("ws_disconnect").user(key.userId()).request(caller.requestId())
          .client(caller.ipAddress(), caller.userAgent()).resource("websocket", socket.path()).build());
    }
  }

  @Override
  public Workspace of(Context request) {
    return local(instance(request));
  }

  @Override
  public Workspace of(Handshake socket) {
    return local(instance(socket));
  }

  /** The running instance of an authenticated socket's tenant. */
  public Instance instance(Handshake socket) {
    if (!(socket.attributes().get(TENANT) instanceof TenantKey key)) {
      throw new IllegalStateException("socket resolved before it was authenticated");
    }
    return tenants.acquire(key, (Caller) socket.attributes().get(CALLER));
  }

  /**
   * Records a finished workspace request in the audit log ({@code proxy_request}) and ends its
   * count as in flight; an after-handler for every route (Javalin runs those after exceptions too).
   * Requests that never got a tenant (public or refused) are not recorded here.
   */
  public void audited(Context ctx) {
    TenantKey key = ctx.attribute(TENANT);
    if (key == null) {
      return;
    }
    if (ctx.attribute(COUNTED) != null) {
      tenants.requestFinished(key);
    }
    Caller caller = caller(ctx);
    audit.record(AuditEvent.builder("proxy_request").user(key.userId()).request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent()).resource("path", ctx.method().name() + " " + ctx.path())
        .status(ctx.statusCode()).detail(Map.of("policy", key.policyId(), "context", key.contextId())).build());
  }

  /** The running instance of the request's tenant (provisioned or resumed as needed). */
  public Instance instance(Context request) {
    TenantKey key = tenant(request);
    Instance instance = tenants.acquire(key, caller(request));
    if (request.attribute(COUNTED) == null) {
      request.attribute(COUNTED, true);
      tenants.requestStarted(key); // ended by audited(), which runs after every request
    }
    return instance;
  }

  /** The tenant of a socket {@link #checkSocket} let through. */
  public static Optional<TenantKey> tenantOf(Handshake socket) {
    return socket.attributes().get(TENANT) instanceof TenantKey key ? Optional.of(key) : Optional.empty();
  }

  /** The tenant of an authenticated workspace request, if it is one. */
  public static Optional<TenantKey> tenantOf(Context request) {
    return Optional.ofNullable(request.attribute(TENANT));
  }

  static TenantKey tenant(Context request) {
    TenantKey key = request.attribute(TENANT);
    if (key == null) {
      throw new IllegalStateException("workspace request without a tenant: Access.check did not run");
    }
    return key;
  }

  /** Whether the request's authenticated caller may use the admin API. */
  public static boolean isAdmin(Context request) {
    Principal principal = request.attribute(PRINCIPAL);
    return principal != null && principal.isAdmin() && request.attribute(TENANT) == null;
  }

  public static Caller caller(Context request) {
    Principal principal = request.attribute(PRINCIPAL);
    String user = principal == null ? "" : principal.userId().orElse("");
    return new Caller(user, request.attribute(REQUEST_ID), request.ip(), request.userAgent());
  }

  private static Workspace local(Instance instance) {
    return switch (instance) {
      case Instance.Local local -> local.workspace();
      case Instance.Remote remote -> throw new Unavailable("this tenant's workspace is remote; the orchestrator proxies it");
    };
  }

  /**
   * Runs a credential check that is not {@link #check}'s (a sign-in with a password): a
   * {@link Unauthorized} or {@link Forbidden} it throws is audited as {@code auth_failed}, counted
   * by the throttle and slowed down like any other failed authentication, then rethrown; success
   * clears the address's failures.
   */
  <T> T attempt(Context ctx, java.util.function.Supplier<T> check) {
    try {
      T result = check.get();
      throttle.succeeded(ctx.ip());
      return result;
    } catch (Unauthorized | Forbidden e) {
      String requestId = Optional.ofNullable(ctx.header("X-Request-Id")).filter(id -> id.length() <= 128)
          .orElseGet(() -> UUID.randomUUID().toString());
      failed(ctx.ip(), ctx.userAgent(), requestId, "", ctx.path(), e);
      throw e;
    }
  }

  /** Who an authenticated request comes from; empty for requests {@link #check} let through without credentials. */
  static Optional<Principal> principal(Context ctx) {
    return Optional.ofNullable(ctx.attribute(PRINCIPAL));
  }

  private void failed(String ip, String agent, String requestId, String user, String path, SandcastleException e) {
    throttle.failed(ip);
    long suppressed = floods.admit(ip);
    if (suppressed >= 0) {
      Map<String, Object> detail = new java.util.LinkedHashMap<>();
      detail.put("reason", String.valueOf(e.getMessage()));
      if (suppressed > 0) {
        detail.put("similar_failures_not_recorded", suppressed); // from this address, in its previous window
      }
      audit.record(AuditEvent.builder("auth_failed").user(user).request(requestId).client(ip, agent == null ? "" : agent)
          .resource("path", path).status(e instanceof Forbidden ? 403 : 401).detail(detail).build());
    }
    Duration penalty = throttle.penalty(ip);
    if (!penalty.isZero()) {
      try {
        Thread.sleep(penalty); // a virtual thread: slowing an attacker costs us nothing
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Bounds what failed authentications cost the audit log: per address, the first {@code burst}
   * failures of a window are recorded one by one; the rest are counted, and the count goes with
   * the address's first recorded failure of a later window. The throttle slows each connection,
   * not parallel ones; this keeps a flood from one address from filling the database.
   */
  static final class FailureLog {
    private final int burst;
    private final long windowNanos;
    private final int maxAddresses;
    private final Map<String, long[]> windows = new java.util.concurrent.ConcurrentHashMap<>();

    FailureLog(int burst, java.time.Duration window, int maxAddresses) {
      this.burst = burst;
      this.windowNanos = window.toNanos();
      this.maxAddresses = maxAddresses;
    }

    /** -1 when this failure is only counted; otherwise how many went unrecorded before it. */
    long admit(String address) {
      long now = System.nanoTime();
      if (windows.size() >= maxAddresses && !windows.containsKey(address)) {
        windows.entrySet().removeIf(e -> now - e.getValue()[0] > windowNanos);
        if (windows.size() >= maxAddresses) {
          return -1; // failing from more addresses than we track: counted by the throttle only
        }
      }
      long[] result = new long[1];
      windows.compute(address, (key, w) -> {
        if (w == null || now - w[0] > windowNanos) {
          result[0] = w == null ? 0 : w[2]; // a new window: report what the last one held back
          return new long[] {now, 1, 0};
        }
        if (w[1] < burst) {
          w[1]++;
          result[0] = 0;
        } else {
          w[2]++;
          result[0] = -1;
        }
        return w;
      });
      return result[0];
    }
  }

  /** The bearer token: Authorization (Bearer or Jupyter's "token" scheme), or ?token= or the login cookie on the Jupyter API. */
  static Optional<String> token(Context ctx) {
    String header = ctx.header("Authorization");
    if (header != null) {
      return Access.bearer(header);
    }
    return Access.jupyterToken(ctx);
  }

  /**
   * The user a workspace request acts for: the principal's, or, for the admin key alone on the
   * Jupyter API, the shared Jupyter user (if there is one).
   */
  private Optional<String> userOf(Principal principal, String path) {
    return principal.userId().or(() -> Access.isJupyterPath(path) ? sharedJupyterUser : Optional.empty());
  }

  /** The policy named by a {@code /p/{policy_id}/...} path, else the default. */
  static String policyOf(String path) {
    if (path.startsWith("/p/")) {
      int end = path.indexOf('/', 3);
      return java.net.URLDecoder.decode(end < 0 ? path.substring(3) : path.substring(3, end), java.nio.charset.StandardCharsets.UTF_8);
    }
    return TenantKey.DEFAULT_POLICY;
  }

  /** A request path without its tenant prefix. */
  public static String localPath(String path) {
    return Access.localPath(path);
  }
}
