package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Open WebUI's Jupyter engine pointed at {@code sandcastle serve}, making exactly its calls
 * ({@link OpenWebUiJupyterEngine}): with the admin key it runs in the one shared workspace of
 * {@code --shared-jupyter-user}; with a user's token (as token or as password) in that user's own
 * workspace; every run gets a fresh kernel that is deleted afterwards.
 */
@Tag("bwrap")
class OpenWebUiJupyterEngineTest {
  static final String ADMIN_KEY = "engine-admin-key-0123456789";
  static DataDir data;
  static Orchestrator server;
  static String url;
  static String adaToken;
  static String adaId;

  @BeforeAll
  static void start() throws Exception {
    data = DataDir.create("sandcastle-owui-engine");
    Map<Setting, String> settings = JupyterLabClientTest.settings(data.path());
    settings.put(Setting.API_KEY, ADMIN_KEY);
    server = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
    url = "http://127.0.0.1:" + server.port();
    adaToken = JupyterLabClientTest.signUp(url, "ada@example.com");
    adaId = new Http(url, Map.of("Authorization", "Bearer " + adaToken)).get("/api/auth/me").json().path("id").asString();
  }

  @AfterAll
  static void stop() {
    server.close();
    data.close();
  }

  static Http admin(String user) {
    return new Http(url, Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", user));
  }

  @Test
  void theAdminKeyRunsInTheSharedWorkspaceAndEachRunHasItsOwnKernel() throws Exception {
    OpenWebUiJupyterEngine engine = new OpenWebUiJupyterEngine(url, new OpenWebUiJupyterEngine.Auth.QueryToken(ADMIN_KEY));
    OpenWebUiJupyterEngine.Result first = engine.run("""
        import os, socket
        open('from-the-engine.txt', 'w').write('shared')
        x = 6
        print(socket.gethostname(), os.getcwd(), os.getuid() != 0)
        x * 7""");
    assertThat(first.result()).isEqualTo("42");
    assertThat(first.stdout()).as("sandboxed like any workspace").isEqualTo("sandcastle /home/user True");
    // Open WebUI deletes the kernel after each run: nothing carries over to the next one.
    assertThat(engine.run("x").stderr()).contains("NameError");

    Http shared = admin("shared-jupyter");
    assertThat(shared.get("/files/read?path=from-the-engine.txt").json().path("content").asString()).isEqualTo("shared");
    assertThat(shared.get("/api/kernels").json()).as("every kernel deleted after its run").isEmpty();
    assertThat(admin(adaId).get("/files/read?path=from-the-engine.txt").status()).as("not in anybody else's workspace").isEqualTo(404);
    assertThat(server.tenants().list()).anySatisfy(t -> {
      assertThat(t.tenant().key().userId()).isEqualTo("shared-jupyter");
      assertThat(t.tenant().key().policyId()).isEqualTo("default");
    });

    OpenWebUiJupyterEngine byPassword = new OpenWebUiJupyterEngine(url, new OpenWebUiJupyterEngine.Auth.Password(ADMIN_KEY));
    assertThat(byPassword.run("open('from-the-engine.txt').read()").result()).isEqualTo("'shared'");
  }

  @Test
  void aUsersTokenRunsInTheirOwnWorkspaceHoweverTheEngineSendsIt() throws Exception {
    for (OpenWebUiJupyterEngine.Auth auth : new OpenWebUiJupyterEngine.Auth[] {
        new OpenWebUiJupyterEngine.Auth.QueryToken(adaToken),
        new OpenWebUiJupyterEngine.Auth.HeaderToken(adaToken),
        new OpenWebUiJupyterEngine.Auth.Password(adaToken)}) {
      String name = auth.getClass().getSimpleName() + ".txt";
      OpenWebUiJupyterEngine.Result result = new OpenWebUiJupyterEngine(url, auth)
          .run("import base64\nopen('" + name + "', 'w').write('ada')\nprint('wrote')\nfrom IPython.display import Image\n"
              + "Image(data=base64.b64decode('" + java.util.Base64.getEncoder().encodeToString(JupyterLabClientTest.png()) + "'))");
      assertThat(result.stdout()).as(auth.getClass().getSimpleName()).isEqualTo("wrote");
      assertThat(result.stderr()).isEmpty();
      assertThat(result.result()).startsWith("data:image/png;base64,");
      assertThat(java.util.Base64.getMimeDecoder().decode(result.result().substring("data:image/png;base64,".length())))
          .isEqualTo(JupyterLabClientTest.png());
      assertThat(admin(adaId).get("/files/read?path=" + name).json().path("content").asString()).isEqualTo("ada");
      assertThat(admin("shared-jupyter").get("/files/read?path=" + name).status()).isEqualTo(404);
    }
    assertThat(admin(adaId).get("/api/kernels").json()).isEmpty();
  }

  @Test
  void aChannelsSocketBelongsToTheUserOfItsToken() throws Exception {
    Http ada = new Http(url, Map.of("Authorization", "token " + adaToken));
    String kernel = ada.post("/api/kernels", Map.of()).json().path("id").asString();
    String channels = url.replace("http", "ws") + "/api/kernels/" + kernel + "/channels?token=" + adaToken;
    assertThat(OpenWebUiJupyterEngine.refusedWith(channels + "&user_id=somebody-else", Map.of()))
        .as("another user's id beside Ada's token").isEqualTo(4003);
    assertThat(OpenWebUiJupyterEngine.refusedWith(url.replace("http", "ws") + "/api/kernels/" + kernel + "/channels?token=" + ADMIN_KEY, Map.of()))
        .as("the admin key alone reaches the shared workspace, where Ada's kernel is unknown").isEqualTo(4004);
    assertThat(ada.delete("/api/kernels/" + kernel).status()).isEqualTo(204);
  }

  @Test
  void thePasswordLoginChecksItsXsrfCookieAndPassword() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(url + "/login")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(form.statusCode()).isEqualTo(200);
    String xsrf = HttpCookie.parse(form.headers().firstValue("Set-Cookie").orElseThrow()).getFirst().getValue();

    assertThat(login(http, xsrf, xsrf, "not-the-key-at-all").statusCode()).as("a wrong password").isEqualTo(401);
    assertThat(login(http, xsrf, "another-xsrf-value-1234", ADMIN_KEY).statusCode()).as("an _xsrf field unlike its cookie").isEqualTo(403);
    HttpResponse<String> signedIn = login(http, xsrf, xsrf, ADMIN_KEY);
    assertThat(signedIn.statusCode()).isEqualTo(200);
    HttpCookie cookie = signedIn.headers().allValues("Set-Cookie").stream().flatMap(h -> HttpCookie.parse(h).stream())
        .filter(c -> c.getName().equals("sandcastle-jupyter")).findFirst().orElseThrow();
    assertThat(cookie.isHttpOnly()).isTrue();
    assertThat(cookie.getValue()).doesNotContain(ADMIN_KEY);
    String cookies = "_xsrf=" + xsrf + "; sandcastle-jupyter=" + cookie.getValue();

    HttpRequest.Builder create = HttpRequest.newBuilder(URI.create(url + "/api/kernels")).header("Cookie", cookies)
        .POST(HttpRequest.BodyPublishers.noBody());
    assertThat(http.send(create.build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .as("a change signed in by the cookie alone, as a forged cross-site form would be").isEqualTo(403);
    HttpResponse<String> created = http.send(create.header("X-XSRFToken", xsrf).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).isEqualTo(201);
    String kernel = Http.JSON.readTree(created.body()).path("id").asString();
    assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/files/list")).header("Cookie", cookies).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).as("the cookie is for the Jupyter API only").isEqualTo(401);
    String channels = url.replace("http", "ws") + "/api/kernels/" + kernel + "/channels";
    assertThat(OpenWebUiJupyterEngine.refusedWith(channels, Map.of("Cookie", cookies, "Origin", "https://elsewhere.example")))
        .as("a page of another site cannot use the cookie on a socket").isEqualTo(4001);
    assertThat(OpenWebUiJupyterEngine.refusedWith(channels, Map.of("Cookie", "sandcastle-jupyter=" + cookie.getValue().substring(2))))
        .as("a tampered cookie").isEqualTo(4001);
    admin("shared-jupyter").delete("/api/kernels/" + kernel);

    // ?next= redirects within this server only.
    assertThat(login(http, "?next=/api/kernels", xsrf, xsrf, ADMIN_KEY).headers().firstValue("Location")).contains("/api/kernels");
    for (String elsewhere : List.of("//evil.example/", "/%09/evil.example/", "/%5Cevil.example", "https://evil.example/")) {
      HttpResponse<String> stayed = login(http, "?next=" + elsewhere, xsrf, xsrf, ADMIN_KEY);
      assertThat(stayed.statusCode()).as(elsewhere).isEqualTo(200);
      assertThat(stayed.headers().firstValue("Location")).as(elsewhere).isEmpty();
    }
  }

  @Test
  void theEngineWorksAgainstTheSingleWorkspaceServerWithTokenOrPassword() throws Exception {
    try (DataDir terminalData = DataDir.create("sandcastle-owui-terminal");
        Server terminal = Server.start(Config.load(JupyterLabClientTest.settings(terminalData.path()), Map.of(), 8000),
            new PrintWriter(new StringWriter()))) {
      String base = "http://127.0.0.1:" + terminal.port();
      assertThat(new OpenWebUiJupyterEngine(base, new OpenWebUiJupyterEngine.Auth.QueryToken(JupyterLabClientTest.KEY)).run("6 * 7").result())
          .isEqualTo("42");
      assertThat(new OpenWebUiJupyterEngine(base, new OpenWebUiJupyterEngine.Auth.Password(JupyterLabClientTest.KEY)).run("print(6 * 7)").stdout())
          .isEqualTo("42");
      assertThatThrownBy(() -> new OpenWebUiJupyterEngine(base, new OpenWebUiJupyterEngine.Auth.Password("wrong-password-123")).run("1"))
          .isInstanceOfSatisfying(OpenWebUiJupyterEngine.Failed.class, e -> assertThat(e.status).isEqualTo(401));
    }
  }

  private static HttpResponse<String> login(HttpClient http, String cookie, String field, String password) throws Exception {
    return login(http, "", cookie, field, password);
  }

  private static HttpResponse<String> login(HttpClient http, String query, String cookie, String field, String password) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url + "/login" + query)).header("Cookie", "_xsrf=" + cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("_xsrf=" + field + "&password=" + password)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
