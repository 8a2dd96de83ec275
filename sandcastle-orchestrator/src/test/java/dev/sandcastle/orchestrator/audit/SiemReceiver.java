package dev.sandcastle.orchestrator.audit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A SIEM webhook for tests: checks each request's signature and timestamp like a real receiver
 * would, and keeps every event it accepted (duplicates included). It can answer 503, or store a
 * batch and then answer 500 (an acknowledgement lost on the way back), or stop listening.
 */
final class SiemReceiver implements AutoCloseable {
  enum Mode { ACCEPT, UNAVAILABLE, LOSE_ACK_ONCE }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  final String secret;
  final List<JsonNode> events = new CopyOnWriteArrayList<>();
  final List<String> problems = new CopyOnWriteArrayList<>();
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger maxBatch = new AtomicInteger();
  private volatile Mode mode = Mode.ACCEPT;
  private HttpServer server;
  private java.util.concurrent.ExecutorService executor;
  private int port;

  SiemReceiver(String secret) {
    this.secret = secret;
  }

  /** Starts listening (again), on the same port as before if it listened before. */
  SiemReceiver start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/siem", this::handle);
    server.start();
    port = server.getAddress().getPort();
    return this;
  }

  /** Stops listening: connections are refused until {@link #start()}. */
  void stop() {
    server.stop(0);
    server = null;
    executor.close();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port + "/siem");
  }

  void mode(Mode value) {
    mode = value;
  }

  List<String> ids() {
    List<String> ids = new ArrayList<>();
    events.forEach(e -> ids.add(e.get("id").asString()));
    return ids;
  }

  @Override
  public void close() {
    if (server != null) {
      stop();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    int status = check(exchange, new String(body, StandardCharsets.UTF_8));
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  private int check(HttpExchange exchange, String body) {
    if (mode == Mode.UNAVAILABLE) {
      return 503;
    }
    String timestamp = exchange.getRequestHeaders().getFirst("X-Sandcastle-Timestamp");
    String signature = exchange.getRequestHeaders().getFirst("X-Sandcastle-Signature");
    if (!"application/json".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
      problems.add("content type " + exchange.getRequestHeaders().getFirst("Content-Type"));
      return 415;
    }
    if (timestamp == null || Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
      problems.add("stale or missing timestamp " + timestamp);
      return 401;
    }
    if (signature == null || !MessageDigest.isEqual(signature.getBytes(StandardCharsets.US_ASCII),
        ("sha256=" + hmac(timestamp + "." + body)).getBytes(StandardCharsets.US_ASCII))) {
      problems.add("bad signature " + signature);
      return 401;
    }
    JsonNode batch = JSON.readTree(body);
    int size = 0;
    for (JsonNode event : batch.get("events")) {
      events.add(event);
      size++;
    }
    maxBatch.accumulateAndGet(size, Math::max);
    if (mode == Mode.LOSE_ACK_ONCE) {
      mode = Mode.ACCEPT;
      return 500;
    }
    return 200;
  }

  private String hmac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
