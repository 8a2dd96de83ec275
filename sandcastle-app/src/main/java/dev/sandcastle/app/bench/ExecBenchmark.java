package dev.sandcastle.app.bench;

import dev.sandcastle.core.sandbox.Cgroup;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code sandcastle bench exec}: what a command costs through the API, next to its floors, all
 * measured in one run on this machine. Prints figures; asserts nothing. The servers under test run
 * as child processes of this one (same jar, same JVM flags as the launcher) so their memory can be
 * read from /proc.
 */
public final class ExecBenchmark {
  static final String KEY = "bench-key-0123456789";
  private static final String ECHO = "{\"command\":\"echo hi\"}";

  private ExecBenchmark() {}

  public static int run(String what, int seconds, PrintWriter out) {
    try {
      switch (what) {
        case "exec" -> new ExecBenchmark().exec(seconds, out);
        case "kernel" -> KernelBenchmark.run(out);
        case "terminal" -> TerminalBenchmark.run(out);
        default -> {
          out.println("unknown benchmark '" + what + "'; available: exec, kernel, terminal, orchestrator, interpreter");
          return 2;
        }
      }
      out.flush();
      return 0;
    } catch (Exception e) {
      out.println("benchmark failed: " + e);
      return 1;
    }
  }

  private void exec(int seconds, PrintWriter out) throws Exception {
    out.printf("Sandcastle exec benchmark (%d cores; medians and percentiles of this run)%n", Runtime.getRuntime().availableProcessors());
    Path temp = Files.createTempDirectory("sandcastle-bench",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
    double[] direct = spawnFloor(List.of("/bin/true"), 300);
    report(out, "floor: spawn /bin/true directly", direct);
    Sandbox fresh = new Sandbox(new SandboxPolicy(SandboxPolicy.Mechanism.BWRAP, SandboxPolicy.Network.NONE, Limits.none()),
        Files.createDirectories(temp.resolve("floor-home")), temp.resolve("floor-runtime"), Files.createDirectories(temp.resolve("floor-logs")), -1, -1);
    fresh.kernelScript(); // installs the sandbox's runtime files (scripts, account files) that it binds
    double[] bwrap;
    try (var cgroup = Cgroups.detect().create("bench-floor-" + ProcessHandle.current().pid(), Limits.none())) {
      bwrap = spawnFloor(fresh.launch(cgroup, List.of("/bin/true")), 150);
      report(out, "floor: /bin/true in a fresh bubblewrap sandbox", bwrap);
      filterCost(out, fresh, cgroup);
    }

    for (String sandbox : List.of("bwrap", "none")) {
      out.printf("%n--sandbox %s%n", sandbox);
      try (ChildServer server = ChildServer.start(temp.resolve("data-" + sandbox), sandbox)) {
        RawClient client = new RawClient(server.port());
        // Warm-up: a server runs for days, so measure it compiled (the JIT settles after a few
        // thousand requests), not while the JIT is still busy.
        load(null, server, 8, 8);
        for (int i = 0; i < 300; i++) {
          server.execute(client);
        }
        server.collectGarbage();
        long rssStart = server.rssKiB();
        double[] sequential = new double[1000];
        for (int i = 0; i < sequential.length; i++) {
          long t0 = System.nanoTime();
          server.execute(client);
          sequential[i] = (System.nanoTime() - t0) / 1e6;
        }
        report(out, "POST /execute?wait=5 'echo hi', sequential", sequential);
        for (int clients : List.of(8, 32)) {
          load(out, server, clients, seconds);
        }
        server.collectGarbage(); // in the server, as an idle server would over time
        Thread.sleep(3000);
        long rssEnd = server.rssKiB();
        out.printf("  server RSS: %d MiB after warm-up, %d MiB after the load (%+d MiB)%n",
            rssStart >> 10, rssEnd >> 10, (rssEnd - rssStart) >> 10);
      }
    }
  }

  private static void load(PrintWriter out, ChildServer server, int clients, int seconds) throws Exception {
    AtomicLong errors = new AtomicLong();
    double[][] perClient = new double[clients][];
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> threads = new ArrayList<>();
    long started = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      int index = c;
      threads.add(Thread.ofVirtual().start(() -> {
        double[] times = new double[1 << 17];
        int n = 0;
        RawClient client = null;
        while (System.nanoTime() < deadline && n < times.length) {
          long t0 = System.nanoTime();
          try {
            client = client == null ? new RawClient(server.port()) : client;
            if (!server.execute(client)) {
              errors.incrementAndGet();
            }
          } catch (Exception e) {
            errors.incrementAndGet();
            client = null;
          }
          times[n++] = (System.nanoTime() - t0) / 1e6;
        }
        perClient[index] = Arrays.copyOf(times, n);
      }));
    }
    for (Thread thread : threads) {
      thread.join();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    double[] all = Arrays.stream(perClient).flatMapToDouble(Arrays::stream).toArray();
    if (out == null) {
      return;
    }
    out.printf("  %2d clients for %d s: %.0f commands/s, p50 %.2f ms, p99 %.2f ms, %d errors of %d%n",
        clients, seconds, all.length / elapsed, Figures.percentile(all, 50), Figures.percentile(all, 99), errors.get(), all.length);
    out.flush();
  }

  /**
   * What the system-call filter costs a command: {@code sh -c 'echo hi'} spawned, read and reaped
   * by a Python loop inside a bubblewrap sandbox (what the supervisor does for each command), in
   * sandboxes with and without the filter, taking turns so that the machine's other load falls on
   * both alike. Everything of a command that the filter can slow down happens in that loop.
   */
  private static void filterCost(PrintWriter out, Sandbox sandbox, Cgroup cgroup) throws IOException, InterruptedException {
    String loop = """
        import os, sys, time
        times = []
        for i in range(220):
            start = time.perf_counter_ns()
            r, w = os.pipe()
            pid = os.posix_spawn("/bin/sh", ["sh", "-c", "echo hi"], {}, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
            os.close(w)
            while os.read(r, 64):
                pass
            os.close(r)
            os.waitpid(pid, 0)
            if i >= 20:
                times.append(time.perf_counter_ns() - start)
        os.write(4, " ".join(map(str, times)).encode())  # the launcher's stdout
        """;
    List<String> filtered = sandbox.launch(cgroup, List.of(Sandbox.python(), "-I", "-c", loop));
    List<String> unfiltered = new ArrayList<>(filtered);
    int option = java.util.Collections.indexOfSubList(unfiltered, List.of("--seccomp", "5"));
    if (option < 0) {
      throw new IllegalStateException("the sandbox's command line has no --seccomp option: " + filtered);
    }
    unfiltered.subList(option, option + 2).clear();
    List<Double> with = new ArrayList<>();
    List<Double> without = new ArrayList<>();
    for (int round = 0; round < 8; round++) {
      sampleInto(unfiltered, without);
      sampleInto(filtered, with);
    }
    double[] plain = without.stream().mapToDouble(Double::doubleValue).toArray();
    double[] guarded = with.stream().mapToDouble(Double::doubleValue).toArray();
    report(out, "floor: sh -c 'echo hi' spawned in a sandbox", plain);
    report(out, "  the same under the system-call filter", guarded);
    out.printf("  %-52s p50 x%.3f%n", "  filter / no filter, same run", Figures.percentile(guarded, 50) / Figures.percentile(plain, 50));
  }

  private static void sampleInto(List<String> command, List<Double> samples) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String printed = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
    if (process.waitFor() != 0 || printed.isEmpty()) {
      throw new IOException("the spawn loop failed in the sandbox: " + String.join(" ", command));
    }
    for (String nanos : printed.split(" ")) {
      samples.add(Long.parseLong(nanos) / 1e6);
    }
  }

  private static double[] spawnFloor(List<String> command, int runs) throws IOException, InterruptedException {
    double[] times = new double[runs];
    for (int i = -20; i < runs; i++) {
      long t0 = System.nanoTime();
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      int code = process.waitFor();
      if (code != 0) {
        throw new IOException(String.join(" ", command) + " exited with " + code);
      }
      if (i >= 0) {
        times[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return times;
  }

  static void report(PrintWriter out, String what, double[] millis) {
    out.printf("  %-52s p50 %.2f ms, p99 %.2f ms (n=%d)%n", what, Figures.percentile(millis, 50), Figures.percentile(millis, 99), millis.length);
  }


  /**
   * A minimal HTTP/1.1 keep-alive client, so the load generator spends little of the machine's
   * CPU (the JDK's HttpClient costs about as much per request as the server does).
   */
  static final class RawClient {
    private final java.net.Socket socket;
    private final java.io.OutputStream out;
    private final java.io.InputStream in;
    private byte[] buffer = new byte[1 << 16];

    RawClient(int port) throws IOException {
      socket = new java.net.Socket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(30_000);
      out = socket.getOutputStream();
      in = new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16);
    }

    /** Sends a POST and returns the whole response (status line, headers, body) as text. */
    String post(String path, String json) throws IOException {
      byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ExecBenchmark.KEY
          + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
      byte[] headBytes = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
      System.arraycopy(body, 0, request, headBytes.length, body.length);
      out.write(request);
      out.flush();
      int n = 0;
      int headerEnd = -1;
      while (headerEnd < 0) {
        int read = in.read(buffer, n, buffer.length - n);
        if (read < 0) {
          throw new IOException("connection closed");
        }
        n += read;
        headerEnd = indexOf(buffer, n);
      }
      String headers = new String(buffer, 0, headerEnd, java.nio.charset.StandardCharsets.ISO_8859_1);
      int length = -1;
      boolean chunked = false;
      for (String line : headers.split("\r\n")) {
        if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
          length = Integer.parseInt(line.substring(15).trim());
        } else if (line.regionMatches(true, 0, "Transfer-Encoding:", 0, 18) && line.toLowerCase().contains("chunked")) {
          chunked = true;
        }
      }
      java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
      java.io.InputStream rest = new java.io.SequenceInputStream(
          new java.io.ByteArrayInputStream(buffer, headerEnd + 4, n - headerEnd - 4), in);
      if (chunked) {
        while (true) {
          int size = Integer.parseInt(readLine(rest).trim().split(";")[0], 16);
          if (size == 0) {
            readLine(rest);
            break;
          }
          content.write(rest.readNBytes(size));
          readLine(rest);
        }
      } else {
        content.write(rest.readNBytes(Math.max(0, length)));
      }
      return headers + "\r\n\r\n" + content.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String readLine(java.io.InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }

    private static int indexOf(byte[] data, int length) {
      for (int i = 3; i < length; i++) {
        if (data[i - 3] == '\r' && data[i - 2] == '\n' && data[i - 1] == '\r' && data[i] == '\n') {
          return i - 3;
        }
      }
      return -1;
    }
  }

  /** A {@code sandcastle terminal} in a child JVM on a free port. */
  record ChildServer(Process process, int port, Path log) implements AutoCloseable {
    static ChildServer start(Path dataDir, String sandbox) throws Exception {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Path jar = Path.of(ExecBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Files.createDirectories(dataDir);
      Path log = dataDir.resolve("server.log");
      List<String> command = new ArrayList<>(List.of(java.toString()));
      command.addAll(ProcessHandle.current().info().arguments().map(args -> Arrays.stream(args)
          .filter(a -> a.startsWith("-X") || a.startsWith("--enable-native-access")).toList()).orElse(List.of()));
      command.addAll(List.of("-cp", jar.toString(), "dev.sandcastle.app.Main", "terminal", "--port", Integer.toString(port),
          "--data-dir", dataDir.toString(), "--sandbox", sandbox, "--api-key", KEY));
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      ChildServer server = new ChildServer(process, port, log);
      HttpClient client = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < deadline) {
        try {
          if (client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return server;
          }
        } catch (IOException e) {
          Thread.sleep(100);
        }
        if (!process.isAlive()) {
          break;
        }
      }
      server.close();
      throw new IOException("the server did not start; see " + log);
    }

    boolean execute(RawClient client) throws IOException {
      String body = client.post("/execute?wait=5", ECHO);
      return body.startsWith("HTTP/1.1 200") && body.contains("\"status\":\"done\"") && body.contains("hi\\n");
    }

    /** Asks the server JVM for a full collection (jcmd GC.run), so its heap can shrink. */
    void collectGarbage() throws IOException, InterruptedException {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      if (Files.isExecutable(jcmd)) {
        new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }

    long rssKiB() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return -1;
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
