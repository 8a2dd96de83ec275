package dev.sandcastle.app.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sandcastle bench kernel}: Python kernels through Sandcastle next to the same exchanges
 * with a real Jupyter Server on this machine, and the floor of a statement timed inside Python.
 * Prints figures; asserts nothing.
 */
final class KernelBenchmark {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String KEY = ExecBenchmark.KEY;

  private KernelBenchmark() {}

  static void run(PrintWriter out) throws Exception {
    out.printf("Sandcastle kernel benchmark (%d cores; medians and percentiles of this run)%n", Runtime.getRuntime().availableProcessors());
    Path temp = Files.createTempDirectory(Path.of(System.getProperty("user.dir")), ".bench-kernel-",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      sandcastle(out, temp);
      jupyter(out, temp);
    } finally {
      deleteTree(temp);
    }
  }

  private static void sandcastle(PrintWriter out, Path temp) throws Exception {
    try (ExecBenchmark.ChildServer server = ExecBenchmark.ChildServer.start(temp.resolve("data"), "bwrap")) {
      String base = "http://127.0.0.1:" + server.port();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      // Floor: the statement itself, timed by Python inside a running kernel.
      JsonNode floor = executeCode(http, base, "import time\nts = []\nfor _ in range(2000):\n    t = time.perf_counter()\n    exec('x = 1')\n    ts.append(time.perf_counter() - t)\nts.sort()\nprint(ts[1000] * 1000)", "floor");
      out.printf("  %-60s %.3f ms%n", "floor: exec('x = 1') inside a running Python, p50", Double.parseDouble(floor.path("stdout").asString().trim()));

      // A server runs for days: let the JIT settle (a few thousand requests) before measuring.
      long warmUntil = System.nanoTime() + 8_000_000_000L;
      while (System.nanoTime() < warmUntil) {
        executeCode(http, base, "x = 1", "warm");
      }
      double[] warm = new double[500];
      for (int i = 0; i < warm.length; i++) {
        long t0 = System.nanoTime();
        executeCode(http, base, "x = 1", "warm");
        if (i >= 0) {
          warm[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      ExecBenchmark.report(out, "warm 'x = 1' via POST /execute_code", warm);

      String id = JSON.readTree(post(http, base + "/api/kernels?token=" + KEY, "{}")).path("id").asString();
      try (Channels channels = Channels.open(http, "ws://127.0.0.1:" + server.port() + "/api/kernels/" + id + "/channels?token=" + KEY)) {
        channels.time("x = 1", 2000); // warm-up, as above
        ExecBenchmark.report(out, "warm 'x = 1' via the channels WebSocket", channels.time("x = 1", 500));
      }

      double[] start = new double[20];
      double[] heavy = new double[20];
      for (int i = 0; i < start.length; i++) {
        start[i] = freshKernel(http, base, server.port(), "1");
        heavy[i] = freshKernel(http, base, server.port(), "import numpy, pandas, matplotlib.pyplot as plt\n1");
      }
      ExecBenchmark.report(out, "new kernel to first result (REST + channels, forked warm)", start);
      ExecBenchmark.report(out, "new kernel, import numpy+pandas+matplotlib, result", heavy);

      double[] png = new double[50];
      executeCode(http, base, "import matplotlib.pyplot as plt", "png");
      for (int i = -5; i < png.length; i++) {
        long t0 = System.nanoTime();
        JsonNode result = executeCode(http, base, "plt.figure(figsize=(3, 2)); plt.plot([1, 2, 3]);", "png");
        if (!result.toString().contains("image/png")) {
          throw new IOException("no PNG in " + result);
        }
        if (i >= 0) {
          png[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      ExecBenchmark.report(out, "warm small matplotlib PNG via POST /execute_code", png);
      JsonNode memory = executeCode(http, base, "import re\ntext = open('/proc/self/smaps_rollup').read()\n"
          + "kb = lambda k: int(re.search(k + r':\\s+(\\d+)', text).group(1))\n"
          + "print(kb('Pss') // 1024, (kb('Private_Clean') + kb('Private_Dirty')) // 1024, kb('Rss') // 1024)", "idle-memory");
      String[] mib = memory.path("stdout").asString().trim().split(" ");
      out.printf("  %-60s PSS %s MiB, private %s MiB (RSS %s MiB, mostly shared with the host)%n", "idle kernel memory", mib[0], mib[1], mib[2]);
    }
  }

  /** The same exchanges with Debian's Jupyter Server and ipykernel. */
  private static void jupyter(PrintWriter out, Path temp) throws Exception {
    Path binary = Path.of("/usr/bin/jupyter-server");
    if (!Files.isExecutable(binary)) {
      out.println("\nJupyter Server not installed (apt-get install jupyter-server python3-ipykernel): comparison skipped");
      return;
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path root = Files.createDirectories(temp.resolve("jupyter"));
    Process process = new ProcessBuilder(binary.toString(), "--no-browser", "--allow-root", "--ip=127.0.0.1", "--port=" + port,
        "--ServerApp.token=" + KEY, "--ServerApp.root_dir=" + root)
        .redirectErrorStream(true).redirectOutput(temp.resolve("jupyter.log").toFile()).start();
    try {
      String base = "http://127.0.0.1:" + port;
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (true) {
        try {
          if (http.send(HttpRequest.newBuilder(URI.create(base + "/api/status?token=" + KEY)).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            break;
          }
        } catch (IOException e) {
          if (System.nanoTime() > deadline || !process.isAlive()) {
            out.println("\nJupyter Server did not start; see " + temp.resolve("jupyter.log"));
            return;
          }
          Thread.sleep(200);
        }
      }
      out.println("\nJupyter Server " + version() + " with ipykernel, same machine:");
      double[] start = new double[5];
      String id = null;
      for (int i = 0; i < start.length; i++) {
        long t0 = System.nanoTime();
        id = JSON.readTree(post(http, base + "/api/kernels?token=" + KEY, "{}")).path("id").asString();
        try (Channels channels = Channels.open(http, "ws://127.0.0.1:" + port + "/api/kernels/" + id + "/channels?token=" + KEY)) {
          channels.time("1", 1);
        }
        start[i] = (System.nanoTime() - t0) / 1e6;
        if (i < start.length - 1) {
          http.send(HttpRequest.newBuilder(URI.create(base + "/api/kernels/" + id + "?token=" + KEY)).DELETE().build(),
              HttpResponse.BodyHandlers.discarding());
        }
      }
      ExecBenchmark.report(out, "new kernel to first result", start);
      try (Channels channels = Channels.open(http, "ws://127.0.0.1:" + port + "/api/kernels/" + id + "/channels?token=" + KEY)) {
        ExecBenchmark.report(out, "warm 'x = 1' via the channels WebSocket", channels.time("x = 1", 100));
        channels.time("import matplotlib.pyplot as plt\n%matplotlib inline", 1);
        ExecBenchmark.report(out, "warm small matplotlib PNG", channels.time("plt.figure(figsize=(3, 2)); plt.plot([1, 2, 3]); plt.show()", 20));
      }
    } finally {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
      process.destroyForcibly();
    }
  }

  /** Starts a kernel over the Jupyter API, runs one cell over its channels, deletes it; returns the ms to the result. */
  private static double freshKernel(HttpClient http, String base, int port, String code) throws Exception {
    long t0 = System.nanoTime();
    String id = JSON.readTree(post(http, base + "/api/kernels?token=" + KEY, "{}")).path("id").asString();
    try (Channels channels = Channels.open(http, "ws://127.0.0.1:" + port + "/api/kernels/" + id + "/channels?token=" + KEY)) {
      channels.time(code, 1);
    }
    double millis = (System.nanoTime() - t0) / 1e6;
    http.send(HttpRequest.newBuilder(URI.create(base + "/api/kernels/" + id + "?token=" + KEY)).DELETE().build(),
        HttpResponse.BodyHandlers.discarding());
    return millis;
  }

  private static String version() {
    try {
      Process p = new ProcessBuilder("/usr/bin/jupyter-server", "--version").redirectErrorStream(true).start();
      return new String(p.getInputStream().readAllBytes()).trim();
    } catch (IOException e) {
      return "(unknown version)";
    }
  }

  private static final Map<String, ExecBenchmark.RawClient> CLIENTS = new java.util.HashMap<>();

  private static JsonNode executeCode(HttpClient http, String base, String code, String session) throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(Map.of("code", code, "session_id", session));
    int port = URI.create(base).getPort();
    ExecBenchmark.RawClient client = CLIENTS.get(base);
    if (client == null) {
      client = new ExecBenchmark.RawClient(port);
      CLIENTS.put(base, client);
    }
    String response = client.post("/execute_code", body);
    JsonNode result = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
    if (!result.path("status").asString().equals("success")) {
      throw new IOException("execute_code failed: " + result);
    }
    return result;
  }

  private static String post(HttpClient http, String url, String body) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException(url + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A Jupyter channels socket that times execute_request round trips (request sent to status idle). */
  static final class Channels implements AutoCloseable {
    private final RawWebSocket socket;
    private final String session = UUID.randomUUID().toString();

    private Channels(RawWebSocket socket) {
      this.socket = socket;
    }

    static Channels open(HttpClient http, String url) throws IOException {
      URI uri = URI.create(url);
      return new Channels(new RawWebSocket(uri.getPort(), uri.getRawPath() + "?" + uri.getRawQuery()));
    }

    double[] time(String code, int runs) throws Exception {
      List<Double> times = new ArrayList<>();
      for (int i = -Math.min(10, runs - 1); i < runs; i++) {
        String msgId = UUID.randomUUID().toString();
        String request = JSON.writeValueAsString(Map.of(
            "header", Map.of("msg_id", msgId, "msg_type", "execute_request", "username", "bench", "session", session, "date", "", "version", "5.3"),
            "parent_header", Map.of(), "metadata", Map.of(), "channel", "shell",
            "content", Map.of("code", code, "silent", false, "store_history", true, "user_expressions", Map.of(), "allow_stdin", false,
                "stop_on_error", true)));
        long t0 = System.nanoTime();
        socket.sendText(request);
        while (true) {
          JsonNode message = JSON.readTree(socket.receiveText());
          if (message.path("parent_header").path("msg_id").asString("").equals(msgId)
              && message.path("msg_type").asString().equals("status")
              && message.path("content").path("execution_state").asString().equals("idle")) {
            break;
          }
        }
        if (i >= 0) {
          times.add((System.nanoTime() - t0) / 1e6);
        }
      }
      return times.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
