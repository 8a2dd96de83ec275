package dev.sandcastle.orchestrator.proxy;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * A stand-in for a remote workspace server on a random port: JSON echo, header echo, a streaming
 * upload sink, an NDJSON stream with a pause the test controls, and WebSockets that authenticate
 * like {@code sandcastle terminal} (first message) and Jupyter ({@code ?token=}).
 */
final class TestUpstream implements AutoCloseable {
  static final String KEY = "upstream-key-123";

  record Close(int code, String reason) {}

  final Javalin app;
  /** Bytes the upload endpoint has received so far, and when its first bytes came. */
  final AtomicLong uploaded = new AtomicLong();
  final AtomicLong firstUploadByteNanos = new AtomicLong();
  /** Released by the test once the client has the stream's first event. */
  volatile CountDownLatch streamGate = new CountDownLatch(1);
  /** Everything the upstream saw from clients, for leak checks: WebSocket texts, upgrade queries and headers. */
  final List<String> seen = new CopyOnWriteArrayList<>();
  final List<Close> closes = new CopyOnWriteArrayList<>();
  final AtomicLong floodSent = new AtomicLong();
  private final Set<String> authenticated = ConcurrentHashMap.newKeySet();

  TestUpstream() {
    this(0);
  }

  TestUpstream(int port) {
    app = Javalin.create(config -> {
      config.jetty.host = "127.0.0.1";
      config.jetty.port = port;
      config.concurrency.useVirtualThreads = true;
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.jsonMapper(new io.javalin.json.JavalinJackson3(tools.jackson.databind.json.JsonMapper.builder().build(), false));
      var r = config.routes;
      r.post("/echo", ctx -> {
        if (!("Bearer " + KEY).equals(ctx.header("Authorization"))) {
          ctx.status(401).result("wrong key");
          return;
        }
        ctx.json(Map.of("body", ctx.body(), "authorization", ctx.header("Authorization"), "query", String.valueOf(ctx.queryString()),
            "everything", everything(ctx)));
      });
      r.get("/headers", TestUpstream::headers);
      r.head("/headers", TestUpstream::headers);
      r.post("/upload", this::upload);
      r.get("/stream", this::stream);
      r.get("/status/{code}", ctx -> ctx.status(Integer.parseInt(ctx.pathParam("code"))).result("upstream " + ctx.pathParam("code")));
      r.ws("/api/terminals/{id}", ws -> {
        ws.onConnect(ctx -> {
          seen.add(String.valueOf(ctx.queryString()));
          seen.add(ctx.headerMap().toString());
        });
        ws.onMessage(ctx -> terminalText(ctx, ctx.message()));
        ws.onBinaryMessage(ctx -> {
          ByteBuffer copy = ByteBuffer.allocate(ctx.data().remaining()).put(ctx.data()).flip();
          ctx.send(copy);
        });
        ws.onClose(ctx -> closes.add(new Close(ctx.status(), ctx.reason())));
      });
      r.ws("/api/kernels/{id}/channels", ws -> {
        ws.onConnect(ctx -> {
          seen.add(String.valueOf(ctx.queryString()));
          seen.add(ctx.headerMap().toString());
          if (!KEY.equals(ctx.queryParam("token")) || !("Bearer " + KEY).equals(ctx.header("Authorization"))) {
            ctx.closeSession(4001, "authentication failed");
          }
        });
        ws.onMessage(ctx -> ctx.send("kernel:" + ctx.message()));
        ws.onClose(ctx -> closes.add(new Close(ctx.status(), ctx.reason())));
      });
    });
    app.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + app.port());
  }

  Upstream upstream() {
    return new Upstream(uri(), KEY);
  }

  private static Map<String, Object> everything(Context ctx) {
    Map<String, Object> all = new LinkedHashMap<>();
    for (String name : Collections.list(ctx.req().getHeaderNames())) {
      all.put(name.toLowerCase(Locale.ROOT), Collections.list(ctx.req().getHeaders(name)));
    }
    return all;
  }

  private static void headers(Context ctx) {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("method", ctx.method().name());
    answer.put("query", String.valueOf(ctx.queryString()));
    answer.put("headers", everything(ctx));
    ctx.json(answer);
  }

  /** Reads the body as it streams in: counts it, checksums it, notes when the first bytes came. */
  private void upload(Context ctx) throws IOException {
    CRC32 crc = new CRC32();
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = ctx.req().getInputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (total == 0 && n > 0) {
          firstUploadByteNanos.set(System.nanoTime());
        }
        crc.update(buffer, 0, n);
        total += n;
        uploaded.set(total);
      }
    }
    ctx.json(Map.of("bytes", total, "crc", crc.getValue(), "contentLength", String.valueOf(ctx.header("Content-Length"))));
  }

  /** NDJSON: one event, then a pause until the test has seen it (or 10 s pass), then the last event. */
  private void stream(Context ctx) throws IOException, InterruptedException {
    ctx.status(200).contentType("application/x-ndjson");
    OutputStream out = ctx.res().getOutputStream();
    out.write("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
    boolean released = streamGate.await(10, TimeUnit.SECONDS);
    out.write(("{\"n\":2,\"released\":" + released + "}\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** A terminal socket: first message authenticates, then commands or echo. */
  private void terminalText(WsContext ctx, String message) {
    seen.add(message);
    if (!authenticated.contains(ctx.sessionId())) {
      if (!message.equals("{\"type\":\"auth\",\"token\":\"" + KEY + "\"}")) {
        ctx.closeSession(4001, "invalid API key");
      } else if (ctx.pathParam("id").equals("missing")) {
        ctx.closeSession(4004, "{\"error\":\"no terminal with this id\"}");
      } else {
        authenticated.add(ctx.sessionId());
        ctx.send("ready");
      }
      return;
    }
    if (message.startsWith("close:")) {
      ctx.closeSession(Integer.parseInt(message.substring(6)), "bye from upstream");
    } else if (message.startsWith("ping:")) {
      ctx.sendPing(ByteBuffer.wrap(message.substring(5).getBytes(StandardCharsets.UTF_8)));
    } else if (message.startsWith("idle:")) {
      ctx.session.setIdleTimeout(Duration.ofMillis(Long.parseLong(message.substring(5))));
      ctx.send("idle set");
    } else if (message.startsWith("big:")) {
      ctx.send("y".repeat(Integer.parseInt(message.substring(4))));
    } else if (message.startsWith("flood:")) {
      String[] parts = message.split(":");
      flood(ctx, Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    } else {
      ctx.send("echo:" + message);
    }
  }

  /** Sends {@code count} binary messages as fast as the connection takes them, counting each once written. */
  private void flood(WsContext ctx, int count, int size) {
    ByteBuffer payload = ByteBuffer.allocate(size);
    Thread.ofVirtual().name("flood").start(() -> {
      try {
        for (int i = 0; i < count; i++) {
          Callback.Completable sent = new Callback.Completable();
          ctx.session.sendBinary(payload.duplicate(), sent);
          sent.get();
          floodSent.incrementAndGet();
        }
      } catch (Exception e) {
        // the socket closed
      }
    });
  }

  List<String> seenTexts() {
    return new ArrayList<>(seen);
  }

  @Override
  public void close() {
    app.stop();
  }
}
