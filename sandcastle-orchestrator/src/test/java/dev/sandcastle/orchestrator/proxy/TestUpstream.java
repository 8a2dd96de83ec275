package dev.sandcastle.orchestrator.proxy;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A stand-in for a remote workspace server on a random port: JSON echo, header echo, a streaming
 * upload sink, and an NDJSON stream with a pause the test controls.
 */
final class TestUpstream implements AutoCloseable {
  static final String KEY = "upstream-key-123";

  final Javalin app;
  /** Bytes the upload endpoint has received so far, and when its first bytes came. */
  final AtomicLong uploaded = new AtomicLong();
  final AtomicLong firstUploadByteNanos = new AtomicLong();
  /** Released by the test once the client has the stream's first event. */
  volatile CountDownLatch streamGate = new CountDownLatch(1);

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

  @Override
  public void close() {
    app.stop();
  }
}
