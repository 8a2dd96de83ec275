package dev.sandcastle.orchestrator.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSockets through the bridge, between a real front server and a real upstream. */
class WebSocketBridgeTest {
  private static final String FRONT_AUTH = "{\"type\":\"auth\",\"token\":\"" + TestFront.KEY + "\"}";
  private static HttpClient http;
  private static TestUpstream upstream;
  private static ReverseProxy proxy;
  private static WebSocketBridge bridge;
  private static TestFront front;

  @BeforeAll
  static void start() {
    http = HttpClient.newHttpClient();
    upstream = new TestUpstream();
    proxy = new ReverseProxy();
    bridge = new WebSocketBridge(Duration.ofMillis(300));
    front = new TestFront(proxy, bridge, upstream.upstream());
  }

  @AfterEach
  void everyLinkIsGone() {
    front.upstream = upstream.upstream();
    await().atMost(5, TimeUnit.SECONDS).until(() -> bridge.active() == 0);
  }

  @AfterAll
  static void stop() {
    front.close();
    bridge.close();
    proxy.close();
    upstream.close();
    http.close();
  }

  /** A terminal socket through the front, authenticated with the front's key. */
  private static TestSocket terminal(String id, boolean stalled) throws InterruptedException {
    TestSocket socket = TestSocket.connect(http, front.ws("/api/terminals/" + id + "?user_id=alice%40example.com&token=" + TestFront.KEY), stalled,
        "X-User-Id", "alice", "X-Terminal-Context-Id", "project-1");
    socket.send(FRONT_AUTH);
    return socket;
  }

  @Test
  void aTerminalAuthenticatesWithTheUpstreamKeyAndEchoesTextAndBinary() throws Exception {
    try (TestSocket socket = terminal("t1", false)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      socket.send("ls -la");
      assertThat(socket.nextText()).isEqualTo("echo:ls -la");
      byte[] keys = {0x1b, '[', 'A', 0, (byte) 0xff};
      socket.send(keys);
      assertThat(socket.binaries.poll(10, TimeUnit.SECONDS)).isEqualTo(keys);
      socket.send("big:300000"); // longer than the bridge's frames: relayed piece by piece, arrives whole
      assertThat(socket.nextText()).hasSize(300_000).matches("y+");
    }
    assertThat(upstream.seenTexts()).contains("{\"type\":\"auth\",\"token\":\"" + TestUpstream.KEY + "\"}");
    assertThat(upstream.seenTexts()).noneMatch(text -> text.contains(TestFront.KEY));
    assertThat(upstream.seenTexts()).anyMatch(text -> text.equals("user_id=alice%40example.com&token=" + TestUpstream.KEY));
    // opened from the first-message handler, long after the upgrade: the handshake's details still arrive
    assertThat(upstream.seenTexts()).anyMatch(text -> text.contains("X-User-Id=alice") && text.contains("X-Terminal-Context-Id=project-1")
        && text.contains("X-Forwarded-For=127.0.0.1") && text.contains("Authorization=Bearer " + TestUpstream.KEY));
  }

  @Test
  void aCloseCodeFromTheUpstreamReachesTheClient() throws Exception {
    try (TestSocket missing = terminal("missing", false)) {
      assertThat(missing.closed.get(10, TimeUnit.SECONDS))
          .isEqualTo(new TestSocket.Close(4004, "{\"error\":\"no terminal with this id\"}"));
    }
    try (TestSocket socket = terminal("t2", false)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      socket.send("close:4321");
      assertThat(socket.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new TestSocket.Close(4321, "bye from upstream"));
    }
  }

  @Test
  void theClientClosingClosesTheUpstreamWithItsCodeAndReason() throws Exception {
    upstream.closes.clear();
    try (TestSocket socket = terminal("t3", false)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      assertThat(bridge.active()).isEqualTo(1);
      socket.closeWith(1000, "client done");
      await().atMost(5, TimeUnit.SECONDS).until(() -> !upstream.closes.isEmpty());
      assertThat(upstream.closes).containsExactly(new TestUpstream.Close(1000, "client done"));
    }
  }

  @Test
  void aJupyterChannelGetsTheUpstreamKeyInItsQueryAndHeader() throws Exception {
    try (TestSocket socket = TestSocket.connect(http, front.ws("/api/kernels/k1/channels?session_id=s&token=" + TestFront.KEY), false)) {
      socket.send("{\"header\":{\"msg_type\":\"kernel_info_request\"}}");
      assertThat(socket.nextText()).isEqualTo("kernel:{\"header\":{\"msg_type\":\"kernel_info_request\"}}");
    }
    assertThat(upstream.seenTexts()).contains("session_id=s&token=" + TestUpstream.KEY);
    assertThat(upstream.seenTexts()).noneMatch(text -> text.contains(TestFront.KEY));
  }

  @Test
  void pingsFromTheUpstreamReachTheClient() throws Exception {
    try (TestSocket socket = terminal("t4", false)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      socket.send("ping:are you there");
      assertThat(socket.pings.poll(10, TimeUnit.SECONDS)).isEqualTo("are you there");
      socket.send("still");
      assertThat(socket.nextText()).isEqualTo("echo:still");
    }
  }

  @Test
  void aQuietLinkOutlivesTheUpstreamsIdleTimeoutThanksToPings() throws Exception {
    try (TestSocket socket = terminal("t5", false)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      socket.send("idle:1000");
      assertThat(socket.nextText()).isEqualTo("idle set");
      await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> !socket.closed.isDone());
      socket.send("awake");
      assertThat(socket.nextText()).isEqualTo("echo:awake");
    }
  }

  @Test
  void anUnreachableUpstreamClosesTheClientWith4003() throws Exception {
    try (ServerSocket reserved = new ServerSocket(0)) {
      front.upstream = new Upstream(URI.create("http://127.0.0.1:" + reserved.getLocalPort()), TestUpstream.KEY);
    }
    long before = bridge.errors();
    try (TestSocket socket = terminal("t6", false)) {
      assertThat(socket.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(WebSocketBridge.CLOSE_UNREACHABLE);
    }
    assertThat(bridge.errors()).isEqualTo(before + 1);
  }

  @Test
  void aFloodFromTheUpstreamWaitsForASlowClientInsteadOfPilingUp() throws Exception {
    int count = 2000;
    int size = 64 * 1024;
    upstream.floodSent.set(0);
    try (TestSocket socket = terminal("t7", true)) {
      assertThat(socket.nextText()).isEqualTo("ready");
      socket.send("flood:" + count + ":" + size);

      // The client takes one frame and stops reading: the upstream must stall too, once the
      // socket buffers on the way are full, rather than the bridge queueing the rest.
      long[] previous = {-1};
      await().pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(20)).until(() -> {
        long now = upstream.floodSent.get();
        boolean stable = now > 0 && now == previous[0];
        previous[0] = now;
        return stable;
      });
      assertThat(upstream.floodSent.get()).as("messages the upstream got rid of while the client was not reading")
          .isLessThan(count / 2);

      socket.readAll();
      await().atMost(Duration.ofSeconds(30)).until(() -> socket.binaryBytes.get() == (long) count * size);
      assertThat(upstream.floodSent.get()).isEqualTo(count);
    }
  }

  @Test
  void closingTheBridgeClosesBothSides() throws Exception {
    upstream.closes.clear();
    WebSocketBridge own = new WebSocketBridge();
    try (TestFront ownFront = new TestFront(proxy, own, upstream.upstream());
        TestSocket socket = TestSocket.connect(http, ownFront.ws("/api/terminals/t8"), false)) {
      socket.send(FRONT_AUTH);
      assertThat(socket.nextText()).isEqualTo("ready");
      own.close();
      assertThat(socket.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(1001);
      await().atMost(5, TimeUnit.SECONDS).until(() -> !upstream.closes.isEmpty());
      assertThat(upstream.closes.getFirst().code()).isEqualTo(1001);
      assertThat(own.active()).isZero();
    } finally {
      own.close();
    }
  }

  @Test
  void theTerminalAuthMessageCarriesTheUpstreamKeyAsJson() {
    assertThat(WebSocketBridge.authMessage(new Upstream(URI.create("http://h"), "k\"e\\y")))
        .isEqualTo("{\"type\":\"auth\",\"token\":\"k\\\"e\\\\y\"}");
  }
}
