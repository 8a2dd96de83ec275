package dev.sandcastle.api;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.core.workspace.WorkspaceSettings;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real workspace server on a random port, with a client that speaks its API. */
final class TestServer implements AutoCloseable {
  static final String KEY = "test-key-0123456789";
  static final JsonMapper JSON = JsonMapper.builder().build();

  final Path root;
  final Path home;
  final Workspace workspace;
  final Javalin app;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  TestServer(SandboxPolicy.Mechanism mechanism, Limits limits, ExecSettings exec) {
    this(mechanism, limits, exec, FileLimits.defaults(),
        new KernelSettings(16, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)), TerminalSettings.defaults());
  }

  TestServer(SandboxPolicy.Mechanism mechanism, Limits limits, ExecSettings exec, TerminalSettings terminals) {
    this(mechanism, limits, exec, FileLimits.defaults(),
        new KernelSettings(16, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)), terminals);
  }

  TestServer(SandboxPolicy.Mechanism mechanism, Limits limits, ExecSettings exec, FileLimits files, KernelSettings kernels) {
    this(mechanism, limits, exec, files, kernels, TerminalSettings.defaults());
  }

  TestServer(SandboxPolicy.Mechanism mechanism, Limits limits, ExecSettings exec, FileLimits files, KernelSettings kernels,
      TerminalSettings terminals) {
    this(new SandboxPolicy(mechanism, SandboxPolicy.Network.NONE, limits), exec, files, kernels, terminals);
  }

  TestServer(SandboxPolicy policy, ExecSettings exec, FileLimits files, KernelSettings kernels, TerminalSettings terminals) {
    try {
      root = Files.createTempDirectory("sandcastle-test");
      root.toFile().setExecutable(true, false);
      root.toFile().setReadable(true, false);
      home = root.resolve("home");
      int uid = Sandbox.currentUid() == 0 ? 100_000 : -1;
      workspace = new Workspace(new WorkspaceSettings("test-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), home,
          root.resolve("state"), policy, uid, uid, exec,
          files, kernels, terminals), Cgroups.detect());
      Files.createDirectories(root.resolve("uploads"));
      app = new WorkspaceApi(Workspaces.single(workspace), new ApiSettings(KEY, 1 << 20, 4 << 20, root.resolve("uploads"))).create("127.0.0.1", 0);
      app.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TestServer bwrap() {
    return new TestServer(SandboxPolicy.Mechanism.BWRAP, new Limits(256L << 20, 128, 0), ExecSettings.defaults());
  }

  /** A bubblewrap workspace under the given policy, with the default settings otherwise. */
  static TestServer bwrap(SandboxPolicy policy) {
    return new TestServer(policy, ExecSettings.defaults(), FileLimits.defaults(),
        new KernelSettings(16, Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(2)), TerminalSettings.defaults());
  }

  int port() {
    return app.port();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  record Response(int status, String contentType, byte[] bytes) {
    String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      return JSON.readTree(bytes);
    }
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY);
  }

  Response send(HttpRequest request) {
    try {
      HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Response get(String path) {
    return send(request(path).GET().build());
  }

  Response delete(String path) {
    return send(request(path).DELETE().build());
  }

  Response post(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
  }

  /** Runs a command and waits for it (up to {@code waitSeconds}). */
  JsonNode run(String command, int waitSeconds) {
    Response response = post("/execute?wait=" + waitSeconds, java.util.Map.of("command", command));
    if (response.status() != 200) {
      throw new AssertionError("execute failed: " + response.status() + " " + response.text());
    }
    return response.json();
  }

  /** All output text of a command view. */
  static String output(JsonNode view) {
    StringBuilder out = new StringBuilder();
    view.path("output").forEach(entry -> out.append(entry.path("data").asString()));
    return out.toString();
  }

  @Override
  public void close() {
    app.stop();
    workspace.close();
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
