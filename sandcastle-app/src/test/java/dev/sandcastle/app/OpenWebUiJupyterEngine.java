package dev.sandcastle.app;

import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * Open WebUI's Jupyter engine, call for call (its {@code JupyterCodeExecuter}, read from Open
 * WebUI's source): one URL and a token or a password, no user. A run signs in when it has a
 * password and no token ({@code GET login} for the {@code _xsrf} cookie, then {@code POST login}
 * with the form fields {@code _xsrf} and {@code password}, the {@code X-XSRFToken} header and the
 * cookies from then on), creates a kernel ({@code POST api/kernels}), opens its channels socket
 * (the token as {@code ?token=}, or the cookies and the XSRF header), sends one legacy JSON
 * {@code execute_request}, collects stdout, stderr and results until the kernel reports idle for
 * it, closes the socket and deletes the kernel. Older releases sent the token as
 * {@code Authorization: token} instead and added {@code ?session_id=} to the socket; {@link Auth}
 * covers both.
 */
final class OpenWebUiJupyterEngine {
  /** How the engine is configured. */
  sealed interface Auth {
    /** A token in the query (Open WebUI today). */
    record QueryToken(String token) implements Auth {}

    /** A token in {@code Authorization: token ...}, and a {@code session_id} on the socket (older releases). */
    record HeaderToken(String token) implements Auth {}

    /** A password: Jupyter's login form with its {@code _xsrf} cookie. */
    record Password(String password) implements Auth {}
  }

  /** What a run gives the model: the engine's ResultModel. */
  record Result(String stdout, String stderr, String result) {}

  /** A step of the run that failed, with the server's status and answer. */
  static final class Failed extends RuntimeException {
    final int status;

    Failed(String step, int status, String body) {
      super(step + " failed: " + status + " " + body);
      this.status = status;
    }
  }

  private final String base;
  private final Auth auth;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, String> cookies = new LinkedHashMap<>();
  private final Map<String, String> headers = new LinkedHashMap<>();
  private final Map<String, String> params = new LinkedHashMap<>();

  OpenWebUiJupyterEngine(String base, Auth auth) {
    this.base = base.endsWith("/") ? base : base + "/";
    this.auth = auth;
  }

  /** One code execution, exactly as the engine makes it. */
  Result run(String code) throws Exception {
    signIn();
    String kernel = createKernel();
    try {
      return execute(kernel, code);
    } finally {
      HttpResponse<String> deleted = send(request("api/kernels/" + kernel).DELETE());
      if (deleted.statusCode() >= 400) {
        throw new Failed("DELETE api/kernels", deleted.statusCode(), deleted.body());
      }
    }
  }

  private void signIn() throws Exception {
    switch (auth) {
      case Auth.Password password -> {
        HttpResponse<String> form = send(HttpRequest.newBuilder(URI.create(base + "login")).GET());
        check("GET login", form);
        String xsrf = takeCookies(form).get("_xsrf");
        if (xsrf == null || xsrf.isEmpty()) {
          throw new Failed("GET login: no _xsrf cookie", form.statusCode(), form.body());
        }
        headers.put("X-XSRFToken", xsrf);
        String body = "_xsrf=" + URLEncoder.encode(xsrf, StandardCharsets.UTF_8)
            + "&password=" + URLEncoder.encode(password.password(), StandardCharsets.UTF_8);
        HttpResponse<String> login = send(request("login").header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
        check("POST login", login);
        takeCookies(login);
      }
      case Auth.QueryToken token -> params.put("token", token.token());
      case Auth.HeaderToken token -> headers.put("Authorization", "token " + token.token());
    }
  }

  private String createKernel() throws Exception {
    HttpResponse<String> created = send(request("api/kernels").POST(HttpRequest.BodyPublishers.noBody()));
    check("POST api/kernels", created);
    return Http.JSON.readTree(created.body()).path("id").asString();
  }

  private Result execute(String kernel, String code) throws Exception {
    Map<String, String> query = new LinkedHashMap<>(params);
    if (auth instanceof Auth.HeaderToken) {
      query.put("session_id", UUID.randomUUID().toString());
    }
    String url = base.replaceFirst("^http", "ws") + "api/kernels/" + kernel + "/channels" + query(query);
    Map<String, String> upgrade = new LinkedHashMap<>(headers);
    if (!cookies.isEmpty()) {
      upgrade.put("Cookie", cookieHeader());
    }
    Socket socket = new Socket(url, upgrade);
    String msgId = UUID.randomUUID().toString().replace("-", "");
    socket.text(Http.JSON.writeValueAsString(Map.of(
        "header", Map.of("msg_id", msgId, "msg_type", "execute_request", "username", "user",
            "session", UUID.randomUUID().toString().replace("-", ""), "date", "", "version", "5.3"),
        "parent_header", Map.of(), "metadata", Map.of(),
        "content", Map.of("code", code, "silent", false, "store_history", true, "user_expressions", Map.of(),
            "allow_stdin", false, "stop_on_error", true),
        "channel", "shell")));
    StringBuilder stdout = new StringBuilder();
    StringBuilder stderr = new StringBuilder();
    List<String> results = new ArrayList<>();
    while (true) {
      String text = socket.messages.poll(60, TimeUnit.SECONDS); // the engine's timeout, per message
      if (text == null) {
        stderr.append(socket.closed.isDone() ? "\nThe socket closed: " + socket.closed.join() : "\nExecution timed out.");
        break;
      }
      JsonNode message = Http.JSON.readTree(text);
      if (!message.path("parent_header").path("msg_id").asString("").equals(msgId)) {
        continue;
      }
      JsonNode content = message.path("content");
      switch (message.path("msg_type").asString("")) {
        case "stream" -> (content.path("name").asString().equals("stderr") ? stderr : stdout).append(content.path("text").asString());
        case "execute_result", "display_data" -> results.add(content.path("data").has("image/png")
            ? "data:image/png;base64," + content.path("data").path("image/png").asString()
            : content.path("data").path("text/plain").asString());
        case "error" -> stderr.append(String.join("\n", content.path("traceback").valueStream().map(JsonNode::asString).toList()));
        default -> { }
      }
      if (message.path("msg_type").asString("").equals("status") && content.path("execution_state").asString("").equals("idle")) {
        break;
      }
    }
    if (!socket.closed.isDone()) {
      socket.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }
    return new Result(stdout.toString().strip(), stderr.toString().strip(), String.join("\n", results).strip());
  }

  /** How the channels socket closed, if the server closed it at once (as it does for a refused socket). */
  static int refusedWith(String url, Map<String, String> headers) throws Exception {
    return new Socket(url, headers).closeCode();
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path + query(params)));
    headers.forEach(builder::header);
    if (!cookies.isEmpty()) {
      builder.header("Cookie", cookieHeader());
    }
    return builder;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void check(String step, HttpResponse<String> response) {
    if (response.statusCode() >= 400) {
      throw new Failed(step, response.statusCode(), response.body());
    }
  }

  private Map<String, String> takeCookies(HttpResponse<String> response) {
    Map<String, String> set = new LinkedHashMap<>();
    for (String header : response.headers().allValues("Set-Cookie")) {
      for (HttpCookie cookie : HttpCookie.parse(header)) {
        set.put(cookie.getName(), cookie.getValue());
      }
    }
    cookies.putAll(set);
    return set;
  }

  private String cookieHeader() {
    return String.join("; ", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
  }

  private static String query(Map<String, String> params) {
    if (params.isEmpty()) {
      return "";
    }
    return "?" + String.join("&", params.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).toList());
  }
}
