package dev.sandcastle.app;

import dev.sandcastle.app.image.ImageBuilder;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.tenant.Caller;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.app.bench.Figures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sandcastle bench docker}: what the docker backend costs, in one run against the local
 * engine and the sandbox image. A new tenant's first {@code run_command} (container created,
 * started and ready, then the command) over 30 tenants, interleaved with the floor {@code docker
 * run --rm <image> true}; then a warm tenant's {@code run_command} through the orchestrator's
 * proxy against the same command sent to the container's server directly. Prints figures;
 * asserts nothing. Removes the tenants it made.
 */
final class DockerBenchmark {
  private static final String KEY = "bench-admin-key-0123456789abcdef";
  private static final String COMMAND = "{\"command\":\"echo hi\"}";
  private static final int TENANTS = 30;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private DockerBenchmark() {}

  static int run(PrintWriter out) {
    return Figures.run(out, new DockerBenchmark()::all);
  }

  private void all(PrintWriter out) throws Exception {
    out.printf("Sandcastle docker backend benchmark (%d cores, image %s; medians and percentiles of this run)%n",
        Runtime.getRuntime().availableProcessors(), ImageBuilder.DEFAULT_TAG);
    try (Orchestrator server = start(Files.createTempDirectory("sandcastle-bench-docker"), "0")) {
      warm(out, "http://127.0.0.1:" + server.port(), server);
      deleteAll("http://127.0.0.1:" + server.port());
    }
    for (String pool : List.of("0", "2")) {
      Path data = Files.createTempDirectory("sandcastle-bench-docker");
      try (Orchestrator server = start(data, pool)) {
        String base = "http://127.0.0.1:" + server.port();
        for (int i = 0; i < 3; i++) { // warm the orchestrator's JVM and the engine's caches; not measured
          post(base, "warmup-" + i, KEY);
          floor();
        }
        deleteAll(base);
        double[] floor = new double[TENANTS];
        double[] fresh = new double[TENANTS];
        for (int i = 0; i < TENANTS; i++) { // interleaved, so both see the same machine
          awaitPool(server, Integer.parseInt(pool)); // new tenants arrive with time for the pool to refill in between
          floor[i] = floor();
          long started = System.nanoTime();
          post(base, "new-user-" + i, KEY);
          fresh[i] = (System.nanoTime() - started) / 1e6;
          if (i % 10 == 9) {
            deleteAll(base); // keep at most 10 workspaces alive; removing is not measured
          }
        }
        Figures.report(out, "floor: docker run --rm <image> true", floor, "");
        Figures.report(out, "new tenant, warm pool of " + pool + ": first run_command", fresh, "");
        out.printf("  %-58s %.2fx the floor (target <= 1.5x)%n", "new tenant p50", Figures.percentile(fresh, 50) / Figures.percentile(floor, 50));
        out.flush();
        deleteAll(base);
      }
    }
  }

  private void warm(PrintWriter out, String base, Orchestrator server) throws Exception {
    post(base, "warm-user", KEY);
    Instance.Remote instance = (Instance.Remote) server.tenants().acquire(new TenantKey("warm-user", null, null), Caller.SYSTEM);
    String direct = instance.base().toString();
    double[] d = null;
    double[] p = null;
    for (int round = 0; round < 3; round++) { // the first rounds warm up both servers' JIT
      d = new double[2000];
      p = new double[2000];
      for (int i = 0; i < d.length; i++) { // interleaved, so both see the same machine
        long t0 = System.nanoTime();
        postTo(direct, "warm-user", instance.apiKey());
        long t1 = System.nanoTime();
        post(base, "warm-user", KEY);
        long t2 = System.nanoTime();
        d[i] = (t1 - t0) / 1e6;
        p[i] = (t2 - t1) / 1e6;
      }
    }
    Figures.report(out, "warm tenant: run_command on the container directly", d, "");
    Figures.report(out, "warm tenant: run_command through the orchestrator", p, "");
    out.printf("  %-58s p50 %.3f ms (target < 1 ms), p99 %.3f ms%n", "proxy overhead", Figures.percentile(p, 50) - Figures.percentile(d, 50),
        Figures.percentile(p, 99) - Figures.percentile(d, 99));
  }

  /** Waits until the warm pool is full again, so that the floor and the next tenant see a quiet machine. */
  private static void awaitPool(Orchestrator server, int size) throws InterruptedException {
    var backend = (dev.sandcastle.orchestrator.backend.docker.DockerBackend) server.backend();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (backend.readySpares() < size && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(size == 0 ? 0 : 500); // the last spare's priming requests have settled
  }

  /** One {@code docker run --rm <image> true}: create, start, wait, remove, as the CLI does it. */
  private static double floor() throws Exception {
    long started = System.nanoTime();
    Process process = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/true", ImageBuilder.DEFAULT_TAG)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("docker run failed (is the image built? sandcastle image build)");
    }
    return (System.nanoTime() - started) / 1e6;
  }

  private void deleteAll(String base) throws Exception {
    HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants")).header("Authorization", "Bearer " + KEY)
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    for (var tenant : tools.jackson.databind.json.JsonMapper.builder().build().readTree(list.body())) {
      http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants/" + tenant.path("id").asString()))
          .header("Authorization", "Bearer " + KEY).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }
  }

  private void post(String base, String user, String key) throws Exception {
    postTo(base, user, key);
  }

  private void postTo(String base, String user, String key) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/execute?wait=10"))
        .header("Authorization", "Bearer " + key).header("X-User-Id", user).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(COMMAND)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 || !response.body().contains("hi\\n")) {
      throw new IllegalStateException("run_command failed: " + response.statusCode() + " " + response.body());
    }
  }

  private static Orchestrator start(Path data, String pool) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, KEY);
    settings.put(Setting.BACKEND, "docker");
    settings.put(Setting.WARM_POOL, pool);
    settings.put(Setting.SWEEP_INTERVAL, "3600");
    return Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
  }

}
