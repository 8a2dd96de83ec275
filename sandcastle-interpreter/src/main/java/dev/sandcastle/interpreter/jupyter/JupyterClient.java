package dev.sandcastle.interpreter.jupyter;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A client for one external Jupyter Server (1.x or 2.x): kernel specs, kernel life cycle over the
 * REST API, and {@link KernelSession}s that run code over a kernel's channels WebSocket.
 *
 * <p>{@link #connect} checks the server and the credentials at once, so a wrong URL or secret
 * fails there and not at the first run. Every method is blocking and safe to call from any
 * thread, including virtual threads; none takes or returns null.
 *
 * <p>What may fail, on every method, as unchecked exceptions from {@code
 * dev.sandcastle.core.errors}:
 *
 * <ul>
 *   <li>{@link Unavailable}: the URL is malformed, the server cannot be reached or does not answer
 *       in time (10 s to connect, 60 s per request), it refused the token or password ("refused
 *       the token"), or it failed (HTTP 5xx). The message names the server's base URL, never the
 *       token or password.
 *   <li>{@link NotFound}: the kernel id or kernel spec name is unknown to the server.
 *   <li>{@link BadRequest}: an argument is blank.
 * </ul>
 *
 * <p>Closing the client closes its sessions; the kernels keep running on the server until {@link
 * #shutdown(String)} (or the server's own culling) ends them.
 */
public final class JupyterClient implements AutoCloseable {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern KERNEL_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final URI base;
  private final String shown;
  private final JupyterAuth auth;
  private final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
  private final HttpClient http;
  private final Set<KernelSession> sessions = ConcurrentHashMap.newKeySet();

  private JupyterClient(URI base, JupyterAuth auth) {
    this.base = base;
    this.shown = base.toString();
    this.auth = auth;
    this.http = HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .cookieHandler(cookies)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /**
   * Connects to the Jupyter Server at {@code baseUrl} (e.g. {@code http://127.0.0.1:8888/}, or
   * with the server's base path, {@code https://host/jupyter/}) and checks the credentials: with
   * a token, one authenticated request; with a password, a login through the login form.
   *
   * @throws Unavailable the URL is malformed or carries a query, the server is unreachable, or it
   *     refused the credentials
   */
  public static JupyterClient connect(String baseUrl, JupyterAuth auth) {
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(auth, "auth");
    JupyterClient client = new JupyterClient(parseBase(baseUrl), auth);
    try {
      client.authenticate();
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** The server's base URL, as used in messages (ends with a slash). */
  public String baseUrl() {
    return shown;
  }

  /** The kernel specs the server offers. */
  public KernelSpecs kernelSpecs() {
    JsonNode body = json(expectOk(send("GET", "api/kernelspecs", null), "list kernel specs"));
    List<KernelSpec> specs = new ArrayList<>();
    for (Map.Entry<String, JsonNode> entry : body.path("kernelspecs").properties()) {
      JsonNode spec = entry.getValue().path("spec");
      String name = entry.getValue().path("name").asString(entry.getKey());
      specs.add(new KernelSpec(
          name, spec.path("display_name").asString(name), spec.path("language").asString("")));
    }
    specs.sort(Comparator.comparing(KernelSpec::name));
    return new KernelSpecs(body.path("default").asString(""), specs);
  }

  /**
   * Starts a kernel from the named spec and returns its id. The kernel may still be starting when
   * this returns; a session opened on it waits for it.
   *
   * @throws NotFound the server has no spec of that name
   */
  public String startKernel(String specName) {
    requireText(specName, "kernel spec name");
    var request = Wire.JSON.createObjectNode().put("name", specName);
    Response response = send("POST", "api/kernels", Wire.JSON.writeValueAsString(request));
    if (!response.ok() && !response.refused()) {
      // 1.x answers 500 (NoSuchKernel) for an unknown spec name: ask what it has.
      KernelSpecs specs = kernelSpecs();
      if (specs.find(specName).isEmpty()) {
        throw new NotFound("the Jupyter server at " + shown + " has no kernel spec named '"
            + specName + "' (it has: " + String.join(", ", specs.names()) + ")");
      }
    }
    String id = json(expectOk(response, "start a '" + specName + "' kernel")).path("id").asString("");
    if (id.isEmpty()) {
      throw new Unavailable("the Jupyter server at " + shown + " started a kernel but sent no id");
    }
    return id;
  }

  /** The kernels running on the server (all of them, not only those this client started). */
  public List<Kernel> listKernels() {
    List<Kernel> kernels = new ArrayList<>();
    for (JsonNode kernel : json(expectOk(send("GET", "api/kernels", null), "list kernels"))) {
      kernels.add(kernel(kernel));
    }
    return List.copyOf(kernels);
  }

  /** The kernel with this id, if the server has it. */
  public Optional<Kernel> kernel(String kernelId) {
    Objects.requireNonNull(kernelId, "kernelId");
    if (!KERNEL_ID.matcher(kernelId).matches()) {
      return Optional.empty();
    }
    Response response = send("GET", "api/kernels/" + kernelId, null);
    if (response.status() == 404) {
      return Optional.empty();
    }
    return Optional.of(kernel(json(expectOk(response, "look up kernel " + kernelId))));
  }

  /**
   * Interrupts what the kernel is running (SIGINT for Python: a {@code KeyboardInterrupt}).
   *
   * @throws NotFound no such kernel
   */
  public void interrupt(String kernelId) {
    kernelCall("POST", kernelId, "/interrupt", "interrupt");
  }

  /**
   * Restarts the kernel: its state is lost; open sessions stay connected to the new process (their
   * next run first waits until the new process answers).
   *
   * @throws NotFound no such kernel
   */
  public void restart(String kernelId) {
    kernelCall("POST", kernelId, "/restart", "restart");
    sessions.stream().filter(session -> session.kernelId().equals(kernelId))
        .forEach(KernelSession::kernelRestarted);
  }

  /**
   * Shuts the kernel down and removes it from the server, and closes this client's sessions on it
   * (their runs fail with {@link Unavailable}). Sessions of other clients learn it at their next
   * timeout, when interrupting the kernel finds it gone.
   *
   * @throws NotFound no such kernel
   */
  public void shutdown(String kernelId) {
    kernelCall("DELETE", kernelId, "", "shut down");
    // The server leaves the kernel's WebSockets open; close ours so their runs fail at once.
    sessions.stream().filter(session -> session.kernelId().equals(kernelId))
        .forEach(session -> session.close("the kernel was shut down"));
  }

  /**
   * Opens the kernel's channels WebSocket with a fresh session id. The session is this client's
   * until closed, by itself or by {@link #close()}.
   *
   * @throws NotFound no such kernel
   * @throws Unavailable the WebSocket could not be opened
   */
  public KernelSession openSession(String kernelId) {
    requireKernelId(kernelId);
    KernelSession session = KernelSession.open(this, kernelId);
    sessions.add(session);
    return session;
  }

  /** Closes every session of this client and releases its connections. Idempotent. */
  @Override
  public void close() {
    for (KernelSession session : List.copyOf(sessions)) {
      session.close();
    }
    http.shutdownNow();
    try {
      http.awaitTermination(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- for KernelSession

  void forget(KernelSession session) {
    sessions.remove(session);
  }

  /** Opens the channels WebSocket; the listener's callbacks run on the HttpClient's threads. */
  WebSocket openSocket(String kernelId, String sessionId, WebSocket.Listener listener) {
    String query = "session_id=" + encode(sessionId);
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
    if (auth instanceof JupyterAuth.Token token) {
      builder.header("Authorization", "token " + token.token());
      query += "&token=" + encode(token.token());
    }
    URI uri = URI.create((base.getScheme().equals("https") ? "wss" : "ws")
        + base.toString().substring(base.getScheme().length())
        + "api/kernels/" + kernelId + "/channels?" + query);
    CompletableFuture<WebSocket> opening = builder.buildAsync(uri, listener);
    try {
      return opening.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof WebSocketHandshakeException handshake) {
        int status = handshake.getResponse().statusCode();
        if (status == 404) {
          throw noKernel(kernelId);
        }
        if (status == 401 || status == 403) {
          throw refused(status, "");
        }
        throw new Unavailable("the Jupyter server at " + shown + " refused the WebSocket of kernel "
            + kernelId + " (HTTP " + status + ")");
      }
      throw unreachable(cause);
    } catch (TimeoutException e) {
      opening.cancel(true);
      throw new Unavailable("the Jupyter server at " + shown + " did not open the WebSocket of kernel "
          + kernelId + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
    } catch (InterruptedException e) {
      opening.cancel(true);
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while connecting to kernel " + kernelId);
    }
  }

  // ---- HTTP

  private record Response(int status, String body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    boolean refused() {
      return status == 401 || status == 403;
    }
  }

  private void authenticate() {
    if (auth instanceof JupyterAuth.Password password) {
      Response page = send("GET", "login", null);
      if (!page.ok()) {
        throw new Unavailable("the Jupyter server at " + shown
            + " has no password login page (HTTP " + page.status() + "); does it use a token?");
      }
      String xsrf = xsrfToken().orElse("");
      String form = "password=" + encode(password.password()) + "&_xsrf=" + encode(xsrf);
      Response login = send("POST", "login", form);
      if (login.refused()) {
        throw refused(login.status(), "");
      }
    }
    expectOk(send("GET", "api/status", null), "check the credentials");
  }

  private Response send(String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
        .timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json");
    if (auth instanceof JupyterAuth.Token token) {
      request.header("Authorization", "token " + token.token());
    }
    if (!method.equals("GET")) {
      xsrfToken().ifPresent(xsrf -> request.header("X-XSRFToken", xsrf));
    }
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", path.equals("login")
          ? "application/x-www-form-urlencoded" : "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    try {
      HttpResponse<String> response = http.send(
          request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(response.statusCode(), response.body());
    } catch (HttpConnectTimeoutException e) {
      throw new Unavailable("the Jupyter server at " + shown + " did not accept a connection within "
          + CONNECT_TIMEOUT.toSeconds() + " s");
    } catch (HttpTimeoutException e) {
      throw new Unavailable("the Jupyter server at " + shown + " did not answer " + method + " "
          + path + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while talking to the Jupyter server at " + shown);
    }
  }

  private String expectOk(Response response, String action) {
    if (response.ok()) {
      return response.body();
    }
    if (response.refused()) {
      throw refused(response.status(), serverMessage(response));
    }
    throw new Unavailable("the Jupyter server at " + shown + " could not " + action + " (HTTP "
        + response.status() + suffix(serverMessage(response)) + ")");
  }

  private void kernelCall(String method, String kernelId, String suffix, String action) {
    requireKernelId(kernelId);
    Response response = send(method, "api/kernels/" + kernelId + suffix, null);
    if (response.ok()) {
      return;
    }
    // Some servers answer 500 rather than 404 for an unknown kernel (1.x's restart): ask.
    if (response.status() == 404 || (!response.refused() && kernel(kernelId).isEmpty())) {
      throw noKernel(kernelId);
    }
    expectOk(response, action + " kernel " + kernelId);
  }

  private Optional<String> xsrfToken() {
    return cookies.getCookieStore().get(base).stream()
        .filter(cookie -> cookie.getName().equals("_xsrf"))
        .map(HttpCookie::getValue)
        .findFirst();
  }

  private Unavailable refused(int status, String serverMessage) {
    return new Unavailable("the Jupyter server at " + shown + " refused the " + auth.kind()
        + " (HTTP " + status + suffix(serverMessage) + ")");
  }

  private NotFound noKernel(String kernelId) {
    return new NotFound("the Jupyter server at " + shown + " has no kernel " + kernelId);
  }

  Unavailable unreachable(Throwable cause) {
    String reason = cause instanceof ConnectException ? "connection refused"
        : cause.getMessage() == null || cause.getMessage().isBlank()
            ? cause.getClass().getSimpleName() : cause.getMessage();
    if (auth instanceof JupyterAuth.Token token && !token.token().isEmpty()) {
      reason = reason.replace(token.token(), "***").replace(encode(token.token()), "***"); // a URL in a message may carry it
    }
    return new Unavailable("cannot reach the Jupyter server at " + shown + ": " + reason, cause);
  }

  private JsonNode json(String body) {
    try {
      JsonNode node = Wire.JSON.readTree(body);
      if (node != null && (node.isObject() || node.isArray())) {
        return node;
      }
    } catch (JacksonException e) {
      // reported below
    }
    throw new Unavailable("the Jupyter server at " + shown + " sent something that is not JSON");
  }

  private static Kernel kernel(JsonNode node) {
    return new Kernel(node.path("id").asString(""), node.path("name").asString(""),
        node.path("execution_state").asString(""), node.path("connections").asInt(0));
  }

  /** The server's own short explanation ({@code message} of its JSON error), at most 200 chars. */
  private static String serverMessage(Response response) {
    String message = Wire.parseText(response.body())
        .map(node -> node.path("message").asString("")).orElse("");
    return message.length() > 200 ? message.substring(0, 200) + "…" : message;
  }

  private static String suffix(String message) {
    return message.isBlank() ? "" : ": " + message;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static void requireText(String value, String what) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) {
      throw new BadRequest("the " + what + " is empty");
    }
  }

  private void requireKernelId(String kernelId) {
    requireText(kernelId, "kernel id");
    if (!KERNEL_ID.matcher(kernelId).matches()) {
      throw noKernel(kernelId.length() > 40 ? kernelId.substring(0, 40) + "…" : kernelId);
    }
  }

  /** Parses and normalizes the base URL; the shown form drops user info (never a secret). */
  static URI parseBase(String baseUrl) {
    String safe = baseUrl.replaceAll("[?#].*", "").replaceAll("//[^/@]*@", "//");
    URI uri;
    try {
      uri = new URI(baseUrl.strip());
    } catch (URISyntaxException e) {
      throw new Unavailable("not a valid Jupyter server URL: " + safe);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new Unavailable("not an http(s) Jupyter server URL: " + safe);
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw new Unavailable("the Jupyter server URL must be the bare base URL, without user, query "
          + "or fragment (give the token separately): " + safe);
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    try {
      return new URI(scheme + "://" + uri.getRawAuthority() + (path.endsWith("/") ? path : path + "/"));
    } catch (URISyntaxException e) {
      throw new Unavailable("not a valid Jupyter server URL: " + safe);
    }
  }
}
