package dev.sandcastle.app;

import dev.sandcastle.app.bench.Figures;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.backend.docker.DockerBackend;
import dev.sandcastle.orchestrator.tenant.Caller;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code sandcastle bench docker}: what the docker backend costs, in one run against the local
 * engine and the sandbox image ({@code --image}, i.e. {@code SANDCASTLE_IMAGE}, else the default
 * tag). Every latency is compared with the floor {@code docker run --rm <image> true} measured in
 * the same run, interleaved with it so both see the same machine:
 *
 * <ul>
 *   <li>a new tenant's first {@code run_command} (container created, started and ready, then the
 *       command) without the warm pool, and with a pool of 2 given time to refill;
 *   <li>a burst: 10 new tenants at once with a pool of 2 that refills while they wait;
 *   <li>a warm tenant's {@code run_command} through the orchestrator's proxy against the same
 *       command sent to the container directly;
 *   <li>an idle workspace's memory as {@code docker stats} computes it (the engine's usage less
 *       inactive page cache), whether its kernel host is running, and the image's size.
 * </ul>
 *
 * Prints figures and the machine's load; asserts nothing. Removes the tenants it made.
 */
final class DockerBenchmark {
  private static final String KEY = "bench-admin-key-0123456789abcdef";
  private static final String COMMAND = "{\"command\":\"echo hi\"}";
  private static final int TENANTS = 30;
  private static final int BURST = 10;
  private static final int BURST_ROUNDS = 3;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final String image = Config.load(Map.of(), System.getenv(), 8080).orchestration().cluster().image();

  private DockerBenchmark() {}

  static int run(PrintWriter out) {
    return Figures.run(out, new DockerBenchmark()::all);
  }

  private void all(PrintWriter out) throws Exception {
    out.printf("Sandcastle docker backend benchmark (%d cores, load average %s, image %s; medians and percentiles of this run)%n",
        Runtime.getRuntime().availableProcessors(), loadAverage(), image);
    Path data = Files.createTempDirectory("sandcastle-bench-docker");
    try {
      try (Orchestrator server = start(data.resolve("warm"), "0")) {
        String base = "http://127.0.0.1:" + server.port();
        warm(out, base, server);
        idle(out, base, server);
        deleteAll(base);
      }
      for (String pool : List.of("0", "2")) {
        try (Orchestrator server = start(data.resolve("pool-" + pool), pool)) {
          sequential(out, "http://127.0.0.1:" + server.port(), server, Integer.parseInt(pool));
        }
      }
      try (Orchestrator server = start(data.resolve("burst"), "2")) {
        burst(out, "http://127.0.0.1:" + server.port(), server);
      }
    } finally {
      try (var files = Files.walk(data)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
      }
    }
    out.printf("  %-58s %s%n", "load average at the end", loadAverage());
  }

  /** New tenants one at a time, each after the pool (if any) refilled, interleaved with the floor. */
  private void sequential(PrintWriter out, String base, Orchestrator server, int pool) throws Exception {
    for (int i = 0; i < 3; i++) { // warm the orchestrator's JVM and the engine's caches; not measured
      post(base, "warmup-" + i, KEY);
      floor();
    }
    deleteAll(base);
    double[] floor = new double[TENANTS];
    double[] fresh = new double[TENANTS];
    for (int i = 0; i < TENANTS; i++) {
      awaitPool(server, pool); // new tenants arrive with time for the pool to refill in between
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
    ratio(out, "new tenant (pool " + pool + ") p50", fresh, floor, pool == 0 ? "target <= 2x" : "");
    deleteAll(base);
  }

  /**
   * Ten new tenants at the same moment, with a full pool of two that refills while they wait; a
   * few rounds, the floor measured before each on the quiet machine.
   */
  private void burst(PrintWriter out, String base, Orchestrator server) throws Exception {
    post(base, "warmup", KEY);
    deleteAll(base);
    List<Double> floors = new ArrayList<>();
    List<Double> waits = new ArrayList<>();
    for (int round = 0; round < BURST_ROUNDS; round++) {
      awaitPool(server, 2);
      for (int i = 0; i < 3; i++) {
        floors.add(floor());
      }
      awaitPool(server, 2);
      try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<Double>> each = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < BURST; i++) {
          String user = "burst-" + round + "-" + i;
          each.add(clients.submit(() -> {
            post(base, user, KEY);
            return (System.nanoTime() - started) / 1e6;
          }));
        }
        for (Future<Double> wait : each) {
          waits.add(wait.get());
        }
      }
      deleteAll(base);
    }
    double[] floor = floors.stream().mapToDouble(Double::doubleValue).toArray();
    double[] burst = waits.stream().mapToDouble(Double::doubleValue).toArray();
    Figures.report(out, "floor: docker run --rm <image> true", floor, "");
    Figures.report(out, "burst of " + BURST + " new tenants (pool of 2): first run_command", burst, "");
    ratio(out, "burst p50", burst, floor, "target <= 3x");
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

  /**
   * Five new tenants that ran one command each and then sat idle for 20 s: their containers'
   * memory as docker stats reports it, and their processes (the kernel host starts on first use).
   */
  private void idle(PrintWriter out, String base, Orchestrator server) throws Exception {
    List<String> containers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      post(base, "idle-user-" + i, KEY);
      containers.add(((Instance.Remote) server.tenants().acquire(new TenantKey("idle-user-" + i, null, null), Caller.SYSTEM)).id());
    }
    Thread.sleep(20_000);
    double[] mib = new double[containers.size()];
    for (int i = 0; i < mib.length; i++) {
      mib[i] = memoryMib(containers.get(i));
    }
    out.printf("  %-58s p50 %.1f MiB, max %.1f MiB (n=%d)  target <= 40 MiB%n", "idle workspace: container memory (docker stats)",
        Figures.percentile(mib, 50), Figures.percentile(mib, 100), mib.length);
    String processes = docker("top", containers.getFirst(), "-o", "pid,rss,args");
    out.printf("  %-58s %s%n", "idle workspace: its processes (pid, rss KiB, command)",
        String.join("; ", processes.strip().lines().skip(1).map(String::strip).toList()));
    out.printf("  %-58s %.0f MB%n", "image size (docker image inspect)", Long.parseLong(docker("image", "inspect", "--format", "{{.Size}}",
        image).strip()) / 1e6);
  }

  /** The container's memory as docker stats shows it ("44.1MiB / 2GiB" and the like), in MiB. */
  private static double memoryMib(String container) throws Exception {
    String usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).strip();
    String amount = usage.substring(0, usage.indexOf('/')).strip();
    double value = Double.parseDouble(amount.replaceAll("[A-Za-z]+$", ""));
    return switch (amount.replaceAll("^[0-9.]+", "")) {
      case "KiB", "kB" -> value / 1024;
      case "GiB", "GB" -> value * 1024;
      case "B" -> value / (1 << 20);
      default -> value;
    };
  }

  private static void ratio(PrintWriter out, String what, double[] samples, double[] floor, String target) {
    out.printf("  %-58s %.2fx the floor%s%n", what, Figures.percentile(samples, 50) / Figures.percentile(floor, 50),
        target.isEmpty() ? "" : " (" + target + ")");
    out.flush();
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /** Waits until the warm pool is full again, so that the floor and the next tenant see a quiet machine. */
  private static void awaitPool(Orchestrator server, int size) throws InterruptedException {
    var backend = (DockerBackend) server.backend();
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (backend.readySpares() < size && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(size == 0 ? 0 : 500); // the last spare's priming requests have settled
  }

  /** One {@code docker run --rm <image> true}: create, start, wait, remove, as the CLI does it. */
  private double floor() throws Exception {
    long started = System.nanoTime();
    Process process = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/true", image)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("docker run failed (is the image built? sandcastle image build)");
    }
    return (System.nanoTime() - started) / 1e6;
  }

  private static String docker(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
    }
    return output;
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

  private Orchestrator start(Path data, String pool) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, KEY);
    settings.put(Setting.BACKEND, "docker");
    settings.put(Setting.WARM_POOL, pool);
    settings.put(Setting.SWEEP_INTERVAL, "3600");
    settings.put(Setting.IMAGE, image);
    return Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
  }
}
