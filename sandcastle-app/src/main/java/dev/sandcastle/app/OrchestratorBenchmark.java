package dev.sandcastle.app;

import dev.sandcastle.orchestrator.tenant.TenantService;
import dev.sandcastle.app.bench.Figures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code sandcastle bench orchestrator}: what multi-tenancy costs, measured in one run. A new
 * tenant's first command (provisioning included) and a warm tenant's; the static backend's proxy
 * against calling its upstream directly; the heap held per provisioned, idle tenant. Servers run
 * in this JVM. Prints figures; asserts nothing.
 */
final class OrchestratorBenchmark {
  private static final String KEY = "bench-admin-key-0123456789abcdef";
  private static final String COMMAND = "{\"command\":\"echo hi\"}";
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private OrchestratorBenchmark() {}

  static int run(PrintWriter out) {
    return Figures.run(out, new OrchestratorBenchmark()::all);
  }

  private void all(PrintWriter out) throws Exception {
    out.printf("Sandcastle orchestrator benchmark (%d cores; medians and percentiles of this run)%n",
        Runtime.getRuntime().availableProcessors());
    double[] floor = sandboxFloor(60);
    Figures.report(out, "floor: a fresh bubblewrap sandbox running python3 -S", floor, "");
    Path data = tempDir("sandcastle-bench-orch");
    try (Orchestrator cold = start(tempDir("sandcastle-bench-cold"), Map.of(Setting.WARM_POOL, "0"))) {
      String base = "http://127.0.0.1:" + cold.port();
      warmUp(base, cold.tenants());
      double[] fresh = newTenants(base, cold.tenants(), "cold-user-", 100, 0);
      Figures.report(out, "new tenant, no warm pool: first run_command", fresh, "");
    }
    try (Orchestrator server = start(data, Map.of(Setting.WARM_POOL, "2"))) {
      String base = "http://127.0.0.1:" + server.port();
      warmUp(base, server.tenants());
      // New tenants arrive one at a time, with time for the pool to refill in between.
      double[] fresh = newTenants(base, server.tenants(), "new-user-", 200, 400);
      Figures.report(out, "new tenant, warm pool of 2: first run_command", fresh, "target p50 < 50 ms, p99 < 150 ms");
      double[] warm = new double[1000];
      for (int i = 0; i < warm.length; i++) {
        long started = System.nanoTime();
        post(base, "new-user-199", "/execute?wait=10", COMMAND);
        warm[i] = (System.nanoTime() - started) / 1e6;
      }
      Figures.report(out, "warm tenant: run_command", warm, "");
      stopAll(server.tenants());

      // Proxy overhead: a static-backend orchestrator in front of a sandcastle terminal.
      Path upstreamData = tempDir("sandcastle-bench-upstream");
      Config upstreamConfig = config(upstreamData, Map.of(Setting.API_KEY, KEY));
      try (Server upstream = Server.start(upstreamConfig, new PrintWriter(new StringWriter()));
          Orchestrator proxy = start(tempDir("sandcastle-bench-proxy"), Map.of(Setting.BACKEND, "static",
              Setting.STATIC_URL, "http://127.0.0.1:" + upstream.port(), Setting.STATIC_KEY, KEY))) {
        String direct = "http://127.0.0.1:" + upstream.port();
        String proxied = "http://127.0.0.1:" + proxy.port();
        double[][] rounds = new double[2][];
        for (int round = 0; round < 2; round++) { // the first round is warm-up
          double[] d = new double[2000];
          double[] p = new double[2000];
          for (int i = 0; i < d.length; i++) { // interleaved, so both see the same machine
            long t0 = System.nanoTime();
            get(direct, "proxy-user", "/files/list?directory=.");
            long t1 = System.nanoTime();
            get(proxied, "proxy-user", "/files/list?directory=.");
            long t2 = System.nanoTime();
            d[i] = (t1 - t0) / 1e6;
            p[i] = (t2 - t1) / 1e6;
          }
          rounds[0] = d;
          rounds[1] = p;
        }
        double[] single = new double[1000];
        for (int i = 0; i < single.length; i++) {
          long started = System.nanoTime();
          post(direct, "anyone", "/execute?wait=10", COMMAND);
          single[i] = (System.nanoTime() - started) / 1e6;
        }
        Figures.report(out, "floor: run_command on a single-workspace sandcastle terminal", single, "");
        Figures.report(out, "floor: list_files on the upstream directly", rounds[0], "");
        Figures.report(out, "list_files through the static backend's proxy", rounds[1], "");
        out.printf("  %-58s p50 %.3f ms (target < 1 ms), p99 %.3f ms%n", "proxy overhead",
            Figures.percentile(rounds[1], 50) - Figures.percentile(rounds[0], 50), Figures.percentile(rounds[1], 99) - Figures.percentile(rounds[0], 99));
      }

      // Memory: 1,000 tenants provisioned (workspace, cgroup, home) and idle (no sandbox running).
      long before = heapAfterGc();
      for (int i = 0; i < 1000; i++) {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants"))
            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"user_id\":\"idle-" + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
          throw new IllegalStateException("provisioning failed: " + response.statusCode() + " " + response.body());
        }
      }
      long after = heapAfterGc();
      out.printf("  heap with 1,000 provisioned idle tenants: %+.1f MiB in all, %.1f KiB per tenant (target < 1 MiB)%n",
          (after - before) / 1048576.0, (after - before) / 1000 / 1024.0);
    }
  }

  private void warmUp(String base, TenantService tenants) throws Exception {
    // Warm the JVM on throwaway tenants first: the figures are for a server that has been running.
    for (int i = 0; i < 30; i++) {
      post(base, "warmup-" + i, "/execute?wait=10", COMMAND);
      Thread.sleep(100);
    }
    for (int i = 0; i < 2000; i++) {
      post(base, "warmup-0", "/execute?wait=10", COMMAND);
    }
    stopAll(tenants);
  }

  private double[] newTenants(String base, TenantService tenants, String prefix, int count, long pauseMillis) throws Exception {
    double[] millis = new double[count];
    for (int i = 0; i < count; i++) {
      Thread.sleep(pauseMillis);
      long started = System.nanoTime();
      post(base, prefix + i, "/execute?wait=10", COMMAND);
      millis[i] = (System.nanoTime() - started) / 1e6;
      if (i % 20 == 19) {
        stopAll(tenants); // keep at most 20 sandboxes alive; stopping is not measured
      }
    }
    return millis;
  }

  /** What the chain the server runs costs without the server: spawn, namespaces, the interpreter. */
  private static double[] sandboxFloor(int runs) throws Exception {
    java.util.List<String> command = java.util.List.of("bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
        "--unshare-all", "--die-with-parent", "--new-session", "/usr/bin/python3", "-I", "-S", "-c", "pass");
    double[] millis = new double[runs];
    for (int i = 0; i < runs; i++) {
      long started = System.nanoTime();
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      process.waitFor();
      millis[i] = (System.nanoTime() - started) / 1e6;
    }
    return millis;
  }

  private static void stopAll(TenantService tenants) {
    tenants.list().stream()
        .filter(v -> v.tenant().status() == dev.sandcastle.orchestrator.tenant.TenantStatus.RUNNING)
        .forEach(v -> tenants.stop(v.tenant().id(), dev.sandcastle.orchestrator.tenant.Caller.SYSTEM));
  }

  private void post(String base, String user, String path, String body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
        .header("X-User-Id", user).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 || !response.body().contains("hi\\n")) {
      throw new IllegalStateException("run_command failed: " + response.statusCode() + " " + response.body());
    }
  }

  private void get(String base, String user, String path) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
        .header("X-User-Id", user).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(path + " failed: " + response.statusCode() + " " + response.body());
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static Orchestrator start(Path data, Map<Setting, String> more) {
    return Orchestrator.start(config(data, more), new PrintWriter(new StringWriter()), false);
  }

  private static Config config(Path data, Map<Setting, String> more) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, KEY);
    settings.put(Setting.SWEEP_INTERVAL, "3600");
    settings.putAll(more);
    return Config.load(settings, Map.of(), 8080);
  }

  private static Path tempDir(String prefix) throws java.io.IOException {
    return Files.createTempDirectory(prefix,
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
  }

}
