package dev.sandcastle.interpreter.jupyter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code jupyter-server} (Debian's package, installed by bin/setup) on a free port of
 * 127.0.0.1, with a temporary root, configuration and runtime directory, and either a token or a
 * password. Stopping it also kills its kernels. Public for the engine tests.
 */
public final class JupyterServer implements AutoCloseable {
  public final String url;
  private final Process process;
  private final Path dir;
  private final Path log;

  private JupyterServer(String url, Process process, Path dir, Path log) {
    this.url = url;
    this.process = process;
    this.dir = dir;
    this.log = log;
  }

  public static JupyterServer withToken(String token) {
    return start(List.of("--ServerApp.token=" + token, "--ServerApp.password="));
  }

  static JupyterServer withPassword(String password) {
    return start(List.of("--ServerApp.token=", "--ServerApp.password=" + sha1Hash(password)));
  }

  /**
   * A hash in the "algorithm:salt:hexdigest" form that jupyter_server.auth.passwd_check accepts
   * (the same form {@code passwd(..., algorithm='sha1')} writes); computed here so the test does not
   * depend on which python3 comes first on PATH.
   */
  static String sha1Hash(String password) {
    try {
      String salt = "5a17ed0c0ffee";
      byte[] digest = MessageDigest.getInstance("SHA-1")
          .digest((password + salt).getBytes(StandardCharsets.UTF_8));
      return "sha1:" + salt + ":" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JupyterServer start(List<String> auth) {
    try {
      Path dir = Files.createTempDirectory("sandcastle-jupyter-");
      Path root = Files.createDirectories(dir.resolve("root"));
      Path log = dir.resolve("server.log");
      int port = freePort();
      List<String> command = new ArrayList<>(List.of(executable(), "--no-browser",
          "--ip=127.0.0.1", "--port=" + port, "--port-retries=0", "--allow-root",
          "--ServerApp.root_dir=" + root));
      command.addAll(auth);
      ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      Map<String, String> env = builder.environment();
      env.put("JUPYTER_CONFIG_DIR", dir.resolve("config").toString());
      env.put("JUPYTER_RUNTIME_DIR", dir.resolve("runtime").toString());
      env.put("JUPYTER_DATA_DIR", dir.resolve("data").toString());
      env.put("IPYTHONDIR", dir.resolve("ipython").toString());
      env.put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
      JupyterServer server = new JupyterServer(
          "http://127.0.0.1:" + port + "/", builder.start(), dir, log);
      server.awaitUp(Duration.ofSeconds(30));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitUp(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    try (HttpClient http = HttpClient.newHttpClient()) {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("jupyter-server exited:\n" + logText());
        }
        try {
          HttpResponse<Void> response = http.send(
              HttpRequest.newBuilder(URI.create(url + "api")).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
          if (response.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
    throw new IllegalStateException("jupyter-server did not answer within " + limit + ":\n" + logText());
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Kills the server at once (SIGKILL), as a crash would; its kernels are killed too. */
  void kill() {
    List<ProcessHandle> kernels = process.descendants().toList();
    process.destroyForcibly();
    kernels.forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public void close() {
    List<ProcessHandle> kernels = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kernels.forEach(ProcessHandle::destroyForcibly);
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // best effort: it is a temporary directory
    }
  }

  private static String executable() {
    for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(entry, "jupyter-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(
        "jupyter-server is not installed: run bin/setup (Debian packages jupyter-server, python3-ipykernel)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
