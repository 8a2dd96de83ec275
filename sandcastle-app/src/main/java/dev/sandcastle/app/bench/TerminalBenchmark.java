package dev.sandcastle.app.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code sandcastle bench terminal}: what an interactive terminal costs through the WebSocket,
 * next to its floors, all measured in one run on this machine. Prints figures; asserts nothing.
 *
 * <p>The floors use a pseudo-terminal opened in this process ({@link DirectPty}) with the same
 * program on it: {@code cat} in raw mode for the keystroke echo (one byte written to the terminal
 * until the byte comes back), and {@code cat FILE} in the terminal's default mode for
 * throughput. Through Sandcastle, the same programs run in a terminal of a {@code sandcastle
 * terminal} child server (bubblewrap sandbox), driven over its WebSocket by a lean blocking
 * client ({@link RawWebSocket}), so the figures are the server's and not a client's hand-offs.
 */
public final class TerminalBenchmark {
  private static final long FILE_BYTES = 200L << 20;
  private static final int ECHOES = 3000;
  private static final int WARM_UP = 500;
  private static final int ROUNDS = 3;

  private TerminalBenchmark() {}

  static void run(PrintWriter out) throws Exception {
    new TerminalBenchmark().terminal(out);
  }

  private void terminal(PrintWriter out) throws Exception {
    out.printf("Sandcastle terminal benchmark (%d cores; medians and percentiles of this run)%n", Runtime.getRuntime().availableProcessors());
    Path temp = Files.createTempDirectory("sandcastle-bench",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      measure(temp, out);
    } finally {
      deleteTree(temp);
    }
  }

  private void measure(Path temp, PrintWriter out) throws Exception {
    Path big = temp.resolve("big.txt");
    writeFile(big);
    try (ExecBenchmark.ChildServer server = ExecBenchmark.ChildServer.start(temp.resolve("data"), "bwrap")) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Files.createLink(temp.resolve("data/workspaces/default/home/big.txt"), big);
      long rssStart = server.rssKiB();

      out.println("keystroke echo: one byte typed until it comes back; cat in raw mode echoes it");
      double[] floorEcho = floorEcho();
      report(out, "floor: a PTY opened in this process", floorEcho);
      double[] wsEcho = new double[ECHOES];
      try (RawWebSocket echo = attach(server.port(), create(http, server.port()))) {
        echo.sendBinary("stty raw -echo; echo RE''ADY; exec cat\r".getBytes(StandardCharsets.US_ASCII));
        for (StringBuilder seen = new StringBuilder(); seen.indexOf("READY") < 0; ) {
          seen.append(echo.receiveText());
        }
        byte[] key = {'x'};
        for (int i = -WARM_UP; i < ECHOES; i++) {
          long t0 = System.nanoTime();
          echo.sendBinary(key);
          while (!contains(echo.receive(), (byte) 'x')) {
            // output that is not the echo (none expected)
          }
          if (i >= 0) {
            wsEcho[i] = (System.nanoTime() - t0) / 1e6;
          }
        }
      }
      report(out, "through the WebSocket (terminal in the sandbox)", wsEcho);
      out.printf("  %-48s p50 %.2f ms (target < 1 ms), p99 %.2f ms%n", "overhead over the floor",
          Figures.percentile(wsEcho, 50) - Figures.percentile(floorEcho, 50),
          Figures.percentile(wsEcho, 99) - Figures.percentile(floorEcho, 99));
      out.flush();

      out.printf("throughput: cat of a %d MB file (lines of 100 bytes), %d rounds%n", FILE_BYTES >> 20, ROUNDS);
      double[] floorRates = new double[ROUNDS];
      double[] wsRates = new double[ROUNDS];
      for (int round = 0; round < ROUNDS; round++) {
        double[] floor = floorCat(big);
        floorRates[round] = floor[1] / floor[0];
        long bytes = 0;
        long serverCpu = cpuNanos(server.process().toHandle());
        long supervisorCpu = supervisorCpuNanos(server);
        double seconds;
        try (RawWebSocket cat = attach(server.port(), create(http, server.port()))) {
          long t0 = System.nanoTime();
          cat.sendBinary("cat big.txt; exit\r".getBytes(StandardCharsets.US_ASCII));
          try {
            while (true) {
              bytes += cat.receive().length;
            }
          } catch (IOException e) {
            if (!"closed by the server".equals(e.getMessage())) {
              throw e;
            }
          }
          seconds = (System.nanoTime() - t0) / 1e9;
        }
        wsRates[round] = bytes / seconds;
        out.printf("  round %d: floor %4.0f MB/s, through the WebSocket %4.0f MB/s (%.0f%%); server JVM %.2f s CPU, supervisor %.2f s CPU%n",
            round + 1, floorRates[round] / 1e6, wsRates[round] / 1e6, 100 * wsRates[round] / floorRates[round],
            (cpuNanos(server.process().toHandle()) - serverCpu) / 1e9, (supervisorCpuNanos(server) - supervisorCpu) / 1e9);
        out.flush();
      }
      double floorMedian = Figures.percentile(floorRates, 50);
      double wsMedian = Figures.percentile(wsRates, 50);
      out.printf("  %-48s %.0f MB/s%n", "floor: a PTY opened in this process (median)", floorMedian / 1e6);
      out.printf("  %-48s %.0f MB/s, %.0f%% of the floor%n", "through the WebSocket (median)", wsMedian / 1e6, 100 * wsMedian / floorMedian);
      long rssEnd = server.rssKiB();
      out.printf("server RSS: %d MiB before, %d MiB after (%+d MiB)%n", rssStart >> 10, rssEnd >> 10, (rssEnd - rssStart) >> 10);
    }
  }

  private static void report(PrintWriter out, String what, double[] millis) {
    out.printf("  %-48s p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.2f ms (n=%d)%n", what, Figures.percentile(millis, 50),
        Figures.percentile(millis, 90), Figures.percentile(millis, 99), Figures.percentile(millis, 100), millis.length);
  }

  /** User plus system CPU time of a process, from /proc. */
  private static long cpuNanos(ProcessHandle process) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L; // clock ticks of 10 ms
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long supervisorCpuNanos(ExecBenchmark.ChildServer server) {
    return server.process().descendants()
        .filter(p -> p.info().commandLine().orElse("").contains("supervisor.py"))
        .mapToLong(TerminalBenchmark::cpuNanos).sum();
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Lines of 99 letters and a newline, like a large log file. */
  private static void writeFile(Path file) throws IOException {
    byte[] line = new byte[100];
    for (int i = 0; i < 99; i++) {
      line[i] = (byte) ('a' + i % 26);
    }
    line[99] = '\n';
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      for (long written = 0; written < FILE_BYTES; written += line.length) {
        out.write(line);
      }
    }
    file.toFile().setReadable(true, false);
  }

  private static double[] floorEcho() throws IOException {
    double[] times = new double[ECHOES];
    byte[] buffer = new byte[1 << 16];
    try (DirectPty pty = DirectPty.start(List.of("/bin/sh", "-c", "stty raw -echo; echo ready; exec cat"))) {
      StringBuilder seen = new StringBuilder();
      while (seen.indexOf("ready") < 0) {
        int n = pty.read(buffer);
        if (n < 0) {
          throw new IOException("the floor's cat ended early");
        }
        seen.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
      }
      for (int i = -WARM_UP; i < ECHOES; i++) {
        long t0 = System.nanoTime();
        pty.write((byte) 'x');
        int n;
        do {
          n = pty.read(buffer);
        } while (n == 0);
        if (n < 0) {
          throw new IOException("the floor's cat ended early");
        }
        if (i >= 0) {
          times[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    return times;
  }

  /** Seconds and bytes of cat FILE on a terminal, read as fast as this thread can. */
  private static double[] floorCat(Path file) throws IOException {
    byte[] buffer = new byte[1 << 16];
    long bytes = 0;
    long t0 = System.nanoTime();
    try (DirectPty pty = DirectPty.start(List.of("/bin/cat", file.toString()))) {
      for (int n; (n = pty.read(buffer)) > 0; ) {
        bytes += n;
      }
    }
    return new double[] {(System.nanoTime() - t0) / 1e9, bytes};
  }

  private static String create(HttpClient http, int port) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/terminals"))
        .header("Authorization", "Bearer " + ExecBenchmark.KEY).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("cannot open a terminal: " + response.statusCode() + " " + response.body());
    }
    return response.body().replaceAll(".*\"id\":\"([0-9a-f]+)\".*", "$1");
  }

  /** A lean blocking WebSocket, authenticated to a terminal. */
  private static RawWebSocket attach(int port, String id) throws IOException {
    RawWebSocket socket = new RawWebSocket(port, "/api/terminals/" + id);
    socket.sendText("{\"type\":\"auth\",\"token\":\"" + ExecBenchmark.KEY + "\"}");
    return socket;
  }

  private static boolean contains(byte[] data, byte wanted) {
    for (byte b : data) {
      if (b == wanted) {
        return true;
      }
    }
    return false;
  }
}
