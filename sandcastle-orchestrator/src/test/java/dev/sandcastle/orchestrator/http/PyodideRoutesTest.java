package dev.sandcastle.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.api.Access;
import dev.sandcastle.api.ApiSettings;
import dev.sandcastle.api.Handshake;
import dev.sandcastle.api.WorkspaceApi;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.pyodide.FixtureIndex;
import dev.sandcastle.orchestrator.pyodide.FixtureWheel;
import dev.sandcastle.orchestrator.pyodide.PackageMirror;
import dev.sandcastle.orchestrator.pyodide.PyodideLock;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The mirror over HTTP: what the Pyodide frame and the admin dashboard see. */
class PyodideRoutesTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final PyodideLock.Info INFO = new PyodideLock.Info("3.14.2", "2026_0", "emscripten_5_0_3", "wasm32");
  private static final FixtureWheel FIXTURE = FixtureWheel.sandcastleFixture();
  private static final FixtureWheel NUMPY = FixtureWheel.build("numpy", "2.4.6", List.of("numpy"), Map.of("numpy/__init__.py", "\n"));

  @TempDir
  Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private Javalin app;
  private PackageMirror mirror;
  private FixtureIndex index;

  /** Lets the mirror's paths through and asks "Bearer admin" of the admin API, as the orchestrator's authentication does. */
  private static final class AdminOnly implements Access {
    @Override
    public void check(Context ctx) {
      if (ctx.path().startsWith("/api/v1/") && !isAdmin(ctx)) {
        throw new Unauthorized("admin only");
      }
    }

    @Override
    public void checkSocket(Handshake handshake, Optional<String> token) {}

    @Override
    public void checkPassword(Context ctx, String password) {
      throw new Unauthorized("no passwords here");
    }

    static boolean isAdmin(Context ctx) {
      return "Bearer admin".equals(ctx.header("Authorization"));
    }
  }

  private String start(Optional<PackageMirror> mirror) {
    PyodideRoutes routes = new PyodideRoutes(mirror, AdminOnly::isAdmin);
    app = WorkspaceApi.server("127.0.0.1", 0, new ApiSettings(new AdminOnly(), 1 << 20, 1 << 20, dir, List.of("")), routes::register);
    app.start();
    return "http://127.0.0.1:" + app.port();
  }

  private String startWithIndex() throws Exception {
    index = FixtureIndex.start(INFO).add(FIXTURE);
    byte[] tampered = NUMPY.bytes().clone();
    tampered[10] ^= 1;
    index.serve(NUMPY.entry(), tampered);
    byte[] bundled = new PyodideLock(INFO, Map.of(), 0).write(List.of(NUMPY.entry()));
    mirror = PackageMirror.open(dir.resolve("pyodide"), "314.0.7", bundled, PackageMirror.Settings.defaults(Optional.of(index.url())));
    return start(Optional.of(mirror));
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
    if (mirror != null) {
      mirror.close();
    }
    if (index != null) {
      index.close();
    }
  }

  private HttpResponse<byte[]> get(String url, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonNode json(HttpResponse<byte[]> response) {
    return JSON.readTree(response.body());
  }

  @Test
  void servesTheLockAndCheckedPackagesToAnOpaqueOriginWithoutCredentials() throws Exception {
    String base = startWithIndex();

    HttpResponse<byte[]> lock = get(base + "/pyodide/pyodide-lock.json", "Origin", "null");
    assertThat(lock.statusCode()).isEqualTo(200);
    assertThat(lock.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(lock.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    JsonNode packages = json(lock).path("packages");
    assertThat(packages.path("numpy").path("sha256").asString()).isEqualTo(NUMPY.sha256());
    assertThat(packages.path("sandcastle-fixture").path("file_name").asString()).as("the index's addition").isEqualTo(FIXTURE.fileName());

    HttpResponse<byte[]> wheel = get(base + "/pyodide/packages/" + FIXTURE.fileName(), "Origin", "null");
    assertThat(wheel.statusCode()).isEqualTo(200);
    assertThat(wheel.body()).isEqualTo(FIXTURE.bytes());
    assertThat(wheel.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(wheel.headers().firstValue("Cache-Control")).hasValue("public, max-age=86400");
  }

  @Test
  void refusalsAreProblemsTheFrameCanReadNamingThePackageAndTheSetting() throws Exception {
    String base = startWithIndex();

    HttpResponse<byte[]> corrupt = get(base + "/pyodide/packages/" + NUMPY.fileName());
    assertThat(corrupt.statusCode()).isEqualTo(503);
    assertThat(corrupt.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(corrupt.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(corrupt.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(json(corrupt).path("detail").asString()).contains("numpy").contains("does not match the sha256").contains("--pyodide-index-url");

    for (String path : List.of("/pyodide/packages/..%2F..%2Fetc%2Fpasswd", "/pyodide/packages/%2e%2e", "/pyodide/packages/not-in-lock-1.0-py3-none-any.whl",
        "/pyodide/packages/" + "a".repeat(5000) + ".whl")) {
      HttpResponse<byte[]> refused = get(base + path);
      assertThat(refused.statusCode()).as(path).isBetween(400, 499);
      assertThat(new String(refused.body())).as(path).doesNotContain("Exception").doesNotContain("root:");
    }
    assertThat(index.requests()).as("only the lock and the two lock files were asked of the index")
        .allMatch(p -> p.equals("pyodide-lock.json") || p.equals(NUMPY.fileName()) || p.equals(FIXTURE.fileName()));
  }

  @Test
  void theAdminSeesWhatIsMirroredAndWhatFailed() throws Exception {
    String base = startWithIndex();
    get(base + "/pyodide/packages/" + FIXTURE.fileName());
    get(base + "/pyodide/packages/" + NUMPY.fileName());

    assertThat(get(base + "/api/v1/pyodide").statusCode()).isEqualTo(401);
    HttpResponse<byte[]> status = get(base + "/api/v1/pyodide", "Authorization", "Bearer admin");
    assertThat(status.statusCode()).isEqualTo(200);
    JsonNode body = json(status);
    assertThat(body.path("pyodide_version").asString()).isEqualTo("314.0.7");
    assertThat(body.path("index_url").asString()).isEqualTo(index.url().toString());
    assertThat(body.path("index").path("state").asString()).isEqualTo("ok");
    assertThat(body.path("lock_packages").asInt()).isEqualTo(2);
    assertThat(body.path("present_packages").asInt()).isEqualTo(1);
    assertThat(body.path("bytes").asLong()).isEqualTo(FIXTURE.bytes().length);
    assertThat(body.path("packages").get(0).path("name").asString()).isEqualTo("sandcastle-fixture");
    assertThat(body.path("errors").get(0).path("package").asString()).isEqualTo("numpy");
    assertThat(body.path("errors").get(0).path("error").asString()).contains("does not match");
  }

  @Test
  void aBuildWithoutPyodideSaysSo() throws Exception {
    String base = start(Optional.empty());
    HttpResponse<byte[]> lock = get(base + "/pyodide/pyodide-lock.json");
    assertThat(lock.statusCode()).isEqualTo(404);
    assertThat(json(lock).path("detail").asString()).contains("no Pyodide");
  }
}
