package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.SequenceInputStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The static backend: everything a tenant does is proxied, untouched but for the key, to one upstream server. */
@Tag("bwrap")
class StaticBackendTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String UPSTREAM_KEY = "upstream-key-0123456789abcdef";
  static Server upstream;
  static Orchestrator proxy;
  static Http client;

  @BeforeAll
  static void start() throws Exception {
    Path upstreamData = Files.createTempDirectory("sandcastle-upstream");
    upstreamData.toFile().setExecutable(true, false);
    Map<Setting, String> up = new EnumMap<>(Setting.class);
    up.put(Setting.DATA_DIR, upstreamData.toString());
    up.put(Setting.PORT, "0");
    up.put(Setting.API_KEY, UPSTREAM_KEY);
    up.put(Setting.MAX_UPLOAD, "256m");
    up.put(Setting.MAX_FILE_WRITE, "256m");
    upstream = Server.start(Config.load(up, Map.of(), 8000), new PrintWriter(new StringWriter()));

    Path data = Files.createTempDirectory("sandcastle-static");
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.put(Setting.BACKEND, "static");
    settings.put(Setting.STATIC_URL, "http://127.0.0.1:" + upstream.port());
    settings.put(Setting.STATIC_KEY, UPSTREAM_KEY);
    proxy = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
    client = new Http("http://127.0.0.1:" + proxy.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "lena"));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    upstream.close();
  }

  @Test
  void commandsAndFilesAreProxiedWithTheUpstreamsKey() {
    assertThat(output(client.run("echo through the proxy"))).isEqualTo("through the proxy\n");
    assertThat(client.post("/files/write", Map.of("path", "p.txt", "content", "proxied")).status()).isEqualTo(200);
    assertThat(client.get("/p/default/files/read?path=p.txt").json().path("content").asString()).isEqualTo("proxied");
    assertThat(client.get("/files/read?path=missing.txt").status()).isEqualTo(404); // the upstream's own 404
    assertThat(client.without("Authorization").get("/files/list").status()).isEqualTo(401); // checked here first
    Http anonymous = new Http("http://127.0.0.1:" + proxy.port(), Map.of());
    assertThat(anonymous.get("/openapi.json").status()).isEqualTo(200);
    assertThat(anonymous.post("/health", Map.of()).status()).as("public only to read").isEqualTo(401);
    // The upstream's admin API is never reached through a tenant prefix.
    assertThat(client.get("/terminals/api/v1/tenants").status()).isEqualTo(404);
    assertThat(client.get("/p/default/metrics").status()).isEqualTo(404);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        client.get("/api/v1/audit-logs?action=proxy_request&user_id=lena").json().path("total").asLong() >= 3);
  }

  @Test
  void aHundredMegabyteUploadStreamsThrough() throws Exception {
    long size = 100L << 20;
    String boundary = "sandcastle-test-boundary";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    InputStream content = new Generated(size, sha);
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/files/upload?directory=."))
        .header("Authorization", "Bearer " + ADMIN_KEY).header("X-User-Id", "lena")
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() ->
            new SequenceInputStream(java.util.Collections.enumeration(java.util.List.of(
                new java.io.ByteArrayInputStream(head), content, new java.io.ByteArrayInputStream(tail))))),
            head.length + size + tail.length))
        .timeout(Duration.ofMinutes(3)).build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String digest = HexFormat.of().formatHex(sha.digest());
    assertThat(output(client.run("stat -c %s big.bin; sha256sum big.bin | cut -d' ' -f1")))
        .isEqualTo(size + "\n" + digest + "\n");
    client.run("rm big.bin");
  }

  @Test
  void streamedOutputArrivesWhileTheCodeStillRuns() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/execute_code?stream=true"))
        .header("Authorization", "Bearer " + ADMIN_KEY).header("X-User-Id", "lena").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"import time\\nprint('first', flush=True)\\ntime.sleep(2)\\nprint('last')\"}"))
        .build();
    long started = System.nanoTime();
    HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
    long firstAt = -1;
    long lastAt = -1;
    for (Iterator<String> lines = response.body().iterator(); lines.hasNext();) {
      String line = lines.next();
      if (line.contains("first") && firstAt < 0) {
        firstAt = System.nanoTime();
      }
      if (line.contains("last")) {
        lastAt = System.nanoTime();
      }
    }
    assertThat(firstAt).as("the first line arrived").isPositive();
    assertThat(lastAt).as("the last line arrived").isPositive();
    assertThat((lastAt - firstAt) / 1_000_000).as("ms between the lines as the client saw them").isGreaterThan(1500);
    assertThat((firstAt - started) / 1_000_000).isLessThan(lastAt - started);
  }

  @Test
  void aTerminalWebSocketIsBridged() throws Exception {
    String id = client.post("/api/terminals", Map.of()).json().path("id").asString();
    Socket socket = new Socket("ws://127.0.0.1:" + proxy.port() + "/terminals/api/terminals/" + id + "?user_id=lena");
    socket.text("{\"type\":\"auth\",\"token\":\"" + ADMIN_KEY + "\"}");
    socket.bytes("echo $((6*7))\n");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> socket.received().contains("42"));
    socket.bytes("exit\n");
    assertThat(socket.closeCode()).isEqualTo(1000); // the upstream's close code, passed through
    assertThat(socket.closeReason).contains("exit_code");

    Socket wrong = new Socket("ws://127.0.0.1:" + proxy.port() + "/api/terminals/" + id + "?user_id=lena");
    wrong.text("{\"type\":\"auth\",\"token\":\"" + UPSTREAM_KEY + "x\"}");
    assertThat(wrong.closeCode()).isEqualTo(4001);
  }

  /** Deterministic pseudo-random bytes, digested as they are read. */
  private static final class Generated extends InputStream {
    private long left;
    private long state = 42;
    private final MessageDigest sha;

    Generated(long size, MessageDigest sha) {
      this.left = size;
      this.sha = sha;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        state = state * 6364136223846793005L + 1442695040888963407L;
        b[off + i] = (byte) (state >>> 56);
      }
      sha.update(b, off, n);
      left -= n;
      return n;
    }
  }
}
