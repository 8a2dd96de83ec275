package dev.sandcastle.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.net.URI;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front end's files: the right types and security headers, nothing outside web/, a clear answer when absent. */
class WebRoutesTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private Javalin app;

  private String start(WebRoutes web) {
    app = Javalin.create(config -> {
      config.jetty.host = "127.0.0.1";
      config.jetty.port = 0;
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      web.register(config.routes);
      config.routes.exception(dev.sandcastle.core.errors.NotFound.class, (e, ctx) -> ctx.status(404).result(e.getMessage()));
    }).start();
    return "http://127.0.0.1:" + app.port();
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAndAssetsWithTheirPolicies(@TempDir Path dir) throws Exception {
    Path web = Files.createDirectories(dir.resolve("web"));
    Files.writeString(web.resolve("index.html"), "<!doctype html><title>Sandcastle</title>");
    Files.writeString(web.resolve("pyodide.html"), "<!doctype html><title>frame</title>");
    Files.writeString(web.resolve("artifact.html"), "<!doctype html><title>artifact</title>");
    Files.createDirectories(web.resolve("assets"));
    Files.writeString(web.resolve("assets/app-1234.js"), "console.log(1)");
    Files.createDirectories(web.resolve("pyodide"));
    Files.write(web.resolve("pyodide/pyodide.asm.wasm"), new byte[] {0, 'a', 's', 'm'});
    Files.writeString(dir.resolve("secret.txt"), "not for you");
    try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null)) {
      String base = start(new WebRoutes(loader));

      HttpResponse<String> page = get(base + "/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<title>Sandcastle</title>");
      assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
      assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'self'", "script-src 'self';",
          "connect-src 'self'", "object-src 'none'", "frame-ancestors 'self'").doesNotContain("unsafe-inline' 'wasm", "script-src 'self' 'unsafe-inline'");

      HttpResponse<String> artifact = get(base + "/ui/artifact.html");
      assertThat(artifact.headers().firstValue("Content-Security-Policy").orElse("")).startsWith("sandbox allow-scripts");

      HttpResponse<String> script = get(base + "/ui/assets/app-1234.js");
      assertThat(script.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
      assertThat(script.headers().firstValue("Cache-Control").orElse("")).contains("immutable");
      assertThat(script.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

      HttpResponse<String> frame = get(base + "/ui/pyodide.html");
      assertThat(frame.headers().firstValue("Content-Security-Policy").orElse("")).startsWith("sandbox allow-scripts;")
          .doesNotContain("allow-same-origin");

      HttpResponse<String> wasm = get(base + "/ui/pyodide/pyodide.asm.wasm");
      assertThat(wasm.headers().firstValue("Content-Type")).hasValue("application/wasm");
      assertThat(wasm.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
      assertThat(wasm.body()).isEqualTo("\0asm");

      // a file over the cache limit (Pyodide's) is streamed from the build, whole
      byte[] big = new byte[WebRoutes.CACHE_LIMIT + 1000];
      java.util.Arrays.fill(big, (byte) 'p');
      Files.write(web.resolve("pyodide/python_stdlib.zip"), big);
      HttpResponse<byte[]> zip = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/pyodide/python_stdlib.zip")).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(zip.body()).isEqualTo(big);
      assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");

      assertThat(get(base + "/ui/nope.js").statusCode()).isEqualTo(404);
      assertThat(get(base + "/ui/..%2Fsecret.txt").statusCode()).isEqualTo(404);
      assertThat(get(base + "/ui/.hidden").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void saysSoWhenTheFrontEndIsNotBuilt(@TempDir Path dir) throws Exception {
    try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null)) {
      WebRoutes web = new WebRoutes(loader);
      assertThat(web.available()).isFalse();
      HttpResponse<String> page = get(start(web) + "/");
      assertThat(page.statusCode()).isEqualTo(404);
      assertThat(page.body()).contains("not part of this build");
    }
  }

  @Test
  void onlyReadsAreCredentialFree() {
    assertThat(WebRoutes.isPublic("GET", "/")).isTrue();
    assertThat(WebRoutes.isPublic("GET", "/ui/assets/app.js")).isTrue();
    assertThat(WebRoutes.isPublic("POST", "/ui/assets/app.js")).isFalse();
    assertThat(WebRoutes.isPublic("GET", "/files/list")).isFalse();
    assertThat(WebRoutes.isPublic("GET", "/uix")).isFalse();
  }
}
