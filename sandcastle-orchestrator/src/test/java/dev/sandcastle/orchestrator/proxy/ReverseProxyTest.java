package dev.sandcastle.orchestrator.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The HTTP proxy between a real front server and a real (or deliberately broken) upstream. */
class ReverseProxyTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static HttpClient http;
  private static TestUpstream upstream;
  private static ReverseProxy proxy;
  private static TestFront front;

  @BeforeAll
  static void start() {
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    upstream = new TestUpstream();
    proxy = new ReverseProxy();
    front = new TestFront(proxy, upstream.upstream());
  }

  @AfterEach
  void pointBack() {
    front.upstream = upstream.upstream();
  }

  @AfterAll
  static void stop() {
    front.close();
    proxy.close();
    upstream.close();
    http.close();
  }

  @Test
  void jsonRoundTripCarriesTheUpstreamKeyAndNeverTheClients() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/echo?token=" + TestFront.KEY + "&x=1"))
        .header("Authorization", "Bearer " + TestFront.KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"ls -la\"}")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("body").asString()).isEqualTo("{\"command\":\"ls -la\"}");
    assertThat(body.path("authorization").asString()).isEqualTo("Bearer " + TestUpstream.KEY);
    assertThat(body.path("query").asString()).isEqualTo("token=" + TestUpstream.KEY + "&x=1");
    assertThat(body.path("everything").toString()).doesNotContain(TestFront.KEY);
  }

  @Test
  void theTerminalsPrefixIsStrippedByTheRouteAndHeadWorks() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/terminals/headers?a=%2Fb%20c")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).path("query").asString()).isEqualTo("a=%2Fb%20c");

    HttpResponse<String> head = http.send(HttpRequest.newBuilder(front.uri("/headers"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void requestHopByHopHeadersAreDroppedAndIdentityHeadersPass() throws Exception {
    String request = "GET /headers?token=" + TestFront.KEY + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + front.port() + "\r\n"
        + "Authorization: Bearer " + TestFront.KEY + "\r\n"
        + "Connection: close, X-Hop\r\n"
        + "X-Hop: per-connection\r\n"
        + "Keep-Alive: timeout=5\r\n"
        + "TE: trailers\r\n"
        + "Trailer: X-Checksum\r\n"
        + "Proxy-Authorization: Basic c2VjcmV0\r\n"
        + "Proxy-Connection: keep-alive\r\n"
        + "X-User-Id: alice\r\n"
        + "X-Terminal-Context-Id: project-1\r\n"
        + "X-Session-Id: s-1\r\n"
        + "X-Forwarded-For: 203.0.113.7\r\n"
        + "Cookie: theme=dark\r\n"
        + "\r\n";
    String response;
    try (Socket socket = new Socket("127.0.0.1", front.port())) {
      RawServer.write(socket, request);
      response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(response).startsWith("HTTP/1.1 200");
    assertThat(response.substring(0, response.indexOf("\r\n\r\n")).split("\r\n")).filteredOn(line -> line.startsWith("Date:"))
        .as("one Date header, the upstream's").hasSize(1);
    JsonNode echo = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
    JsonNode headers = echo.path("headers");
    assertThat(headers.propertyNames()).doesNotContain("x-hop", "keep-alive", "te", "trailer", "proxy-authorization",
        "proxy-connection", "upgrade");
    assertThat(headers.path("connection").toString()).doesNotContain("X-Hop");
    assertThat(headers.path("host").get(0).asString()).isEqualTo(upstream.uri().getAuthority());
    assertThat(headers.path("authorization").get(0).asString()).isEqualTo("Bearer " + TestUpstream.KEY);
    assertThat(echo.path("query").asString()).isEqualTo("token=" + TestUpstream.KEY);
    assertThat(headers.path("x-user-id").get(0).asString()).isEqualTo("alice");
    assertThat(headers.path("x-terminal-context-id").get(0).asString()).isEqualTo("project-1");
    assertThat(headers.path("x-session-id").get(0).asString()).isEqualTo("s-1");
    assertThat(headers.path("cookie").get(0).asString()).isEqualTo("theme=dark");
    assertThat(headers.path("x-forwarded-for").get(0).asString()).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(headers.path("x-forwarded-proto").get(0).asString()).isEqualTo("http");
    assertThat(headers.path("x-forwarded-host").get(0).asString()).isEqualTo("127.0.0.1:" + front.port());
    assertThat(headers.toString()).doesNotContain(TestFront.KEY);
  }

  @Test
  void responseHopByHopHeadersAreDroppedAndTheRestPasses() throws Exception {
    try (RawServer raw = new RawServer(socket -> {
      RawServer.readHead(socket.getInputStream());
      RawServer.write(socket, "HTTP/1.1 201 Created\r\n"
          + "Content-Type: text/plain\r\n"
          + "Content-Length: 2\r\n"
          + "Connection: keep-alive, X-Up-Hop\r\n"
          + "X-Up-Hop: per-connection\r\n"
          + "Keep-Alive: timeout=5, max=100\r\n"
          + "Proxy-Authenticate: Basic realm=\"x\"\r\n"
          + "Trailer: X-Checksum\r\n"
          + "Upgrade: h2c\r\n"
          + "X-Normal: yes\r\n"
          + "Set-Cookie: a=1\r\n"
          + "Set-Cookie: b=2\r\n"
          + "\r\n"
          + "ok");
    })) {
      front.upstream = new Upstream(raw.uri(), TestUpstream.KEY);
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/anything")).build(), HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(201);
      assertThat(response.body()).isEqualTo("ok");
      assertThat(response.headers().firstValue("X-Normal")).hasValue("yes");
      assertThat(response.headers().allValues("Set-Cookie")).containsExactly("a=1", "b=2");
      assertThat(response.headers().map().keySet()).map(String::toLowerCase)
          .doesNotContain("x-up-hop", "keep-alive", "proxy-authenticate", "trailer", "upgrade");
    }
  }

  @Test
  void aHundredMegabyteUploadStreamsThroughWithoutBeingHeldInMemory() throws Exception {
    long size = 100L << 20;
    AtomicLong upstreamHadWhenClientFinished = new AtomicLong(-1);
    CRC32 sent = new CRC32();
    InputStream generator = new Generator(size, sent, () -> upstreamHadWhenClientFinished.set(upstream.uploaded.get()));
    upstream.uploaded.set(0);

    AtomicReference<HttpResponse<String>> response = new AtomicReference<>();
    long growth = oldGenerationGrowth(() -> response.set(http.send(HttpRequest.newBuilder(front.uri("/upload"))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> generator), size)).build(),
        HttpResponse.BodyHandlers.ofString())));

    assertThat(response.get().statusCode()).isEqualTo(200);
    JsonNode result = JSON.readTree(response.get().body());
    assertThat(result.path("bytes").asLong()).isEqualTo(size);
    assertThat(result.path("crc").asLong()).isEqualTo(sent.getValue());
    assertThat(result.path("contentLength").asString()).isEqualTo(Long.toString(size));
    assertThat(upstreamHadWhenClientFinished.get()).as("bytes the upstream had when the client finished sending").isPositive();
    assertThat(growth).as("old generation growth while 100 MB went through").isLessThan(40L << 20);
  }

  @Test
  void aChunkedUploadWithoutLengthStreamsToo() throws Exception {
    long size = 3L << 20;
    CRC32 sent = new CRC32();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/upload"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Generator(size, sent, () -> {}))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode result = JSON.readTree(response.body());
    assertThat(result.path("bytes").asLong()).isEqualTo(size);
    assertThat(result.path("crc").asLong()).isEqualTo(sent.getValue());
  }

  @Test
  void anNdjsonEventReachesTheClientBeforeTheUpstreamFinishes() throws Exception {
    upstream.streamGate = new java.util.concurrent.CountDownLatch(1);
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(front.uri("/stream")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(lines.readLine()).isEqualTo("{\"n\":1}");
      upstream.streamGate.countDown(); // the upstream only finishes once we have the first event
      assertThat(lines.readLine()).isEqualTo("{\"n\":2,\"released\":true}");
      assertThat(lines.readLine()).isNull();
    }
  }

  @Test
  void anEmptyPostKeepsItsZeroLength() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/upload"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).path("bytes").asLong()).isZero();
    assertThat(JSON.readTree(response.body()).path("contentLength").asString()).isEqualTo("0");
  }

  @Test
  void anUpstream404PassesThroughWithItsOwnBody() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/status/404")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("upstream 404");
  }

  @Test
  void anUnreachableUpstreamIsA503AndCounted() throws Exception {
    front.upstream = new Upstream(deadPort(), TestUpstream.KEY);
    long before = proxy.errors();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(front.uri("/headers")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(response.body()).path("detail").asString()).contains("the workspace is unreachable");
    assertThat(proxy.errors()).isEqualTo(before + 1);
  }

  @Test
  void aGetIsRetriedUntilALateUpstreamAnswers() throws Exception {
    URI port = deadPort();
    AtomicReference<TestUpstream> late = new AtomicReference<>();
    try (ReverseProxy retrying = new ReverseProxy(Duration.ofSeconds(30), List.of(Duration.ofMillis(50), Duration.ofMillis(50)),
        attempt -> late.compareAndSet(null, new TestUpstream(port.getPort())));
        TestFront retryingFront = new TestFront(retrying, new Upstream(port, TestUpstream.KEY))) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(retryingFront.uri("/headers")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(response.body()).path("method").asString()).isEqualTo("GET");
      assertThat(retrying.errors()).isZero();
    } finally {
      if (late.get() != null) {
        late.get().close();
      }
    }
  }

  @Test
  void aFailedConnectionIsRetriedTwiceForAGetAndNeverForAPost() throws Exception {
    // Reads each request, then hangs up without a word: the request was sent, no response came.
    try (RawServer hangsUp = new RawServer(socket -> RawServer.readHead(socket.getInputStream()))) {
      front.upstream = new Upstream(hangsUp.uri(), TestUpstream.KEY);

      HttpResponse<String> get = http.send(HttpRequest.newBuilder(front.uri("/files/list")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).isEqualTo(503);
      assertThat(hangsUp.connections.get()).isEqualTo(3);

      HttpResponse<String> post = http.send(HttpRequest.newBuilder(front.uri("/execute"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(503);
      assertThat(hangsUp.connections.get()).isEqualTo(4);
    }
  }

  @Test
  void anUpstreamThatBreaksMidResponseBreaksTheClientsResponseToo() throws Exception {
    try (RawServer breaks = new RawServer(socket -> {
      RawServer.readHead(socket.getInputStream());
      RawServer.write(socket, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "8\r\n{\"n\":1}\n\r\n");
      // and the connection drops without the last chunk
    })) {
      front.upstream = new Upstream(breaks.uri(), TestUpstream.KEY);
      long before = proxy.errors();
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(front.uri("/execute/1/status")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      try (InputStream body = response.body()) {
        assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
      }
      assertThat(proxy.errors()).isEqualTo(before + 1);
    }
  }

  /** A port nothing listens on. */
  private static URI deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }

  interface Action {
    void run() throws Exception;
  }

  /**
   * How much the old generation's peak grew while {@code action} ran: a body held in memory
   * (large arrays go straight to the old generation) shows up here, short-lived buffers do not.
   */
  private static long oldGenerationGrowth(Action action) throws Exception {
    List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && (p.getName().contains("Old") || p.getName().contains("Tenured")))
        .toList();
    assertThat(pools).as("an old generation pool to watch").isNotEmpty();
    System.gc();
    long before = pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    action.run();
    long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    return peak - before;
  }

  /** {@code size} pseudo-random bytes, checksummed as they are read; runs {@code atEnd} when the reader reaches the end. */
  private static final class Generator extends InputStream {
    private final long size;
    private final CRC32 crc;
    private final Runnable atEnd;
    private long position;
    private int state = 0x2545F491;
    private boolean ended;

    Generator(long size, CRC32 crc, Runnable atEnd) {
      this.size = size;
      this.crc = crc;
      this.atEnd = atEnd;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= size) {
        if (!ended) {
          ended = true;
          atEnd.run();
        }
        return -1;
      }
      int n = (int) Math.min(len, size - position);
      for (int i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        b[off + i] = (byte) state;
      }
      crc.update(b, off, n);
      position += n;
      return n;
    }
  }
}
