package dev.sandcastle.orchestrator.proxy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.OutputStreamRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one HTTP request to a remote workspace and streams its answer back, untouched except
 * for authentication and hop-by-hop headers. Built on one Jetty {@link HttpClient} with a
 * connection pool per upstream; safe to share between all request threads.
 *
 * <p>What changes on the way:
 * <ul>
 *   <li>hop-by-hop headers (Connection and the headers it names, Keep-Alive, Proxy-Authenticate,
 *       Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Connection) are dropped
 *       in both directions; Host becomes the upstream's; Expect is not forwarded (this server has
 *       already answered it);
 *   <li>the client's {@code Authorization} is replaced by {@code Bearer <upstream key>} and every
 *       {@code token} query parameter's value by the upstream key, so a client's credentials never
 *       reach a workspace;
 *   <li>{@code X-Forwarded-For} gets the client's address appended; {@code X-Forwarded-Proto} and
 *       {@code X-Forwarded-Host} are set to what this server saw;
 *   <li>everything else, {@code X-User-Id}, {@code X-Terminal-Context-Id}, {@code X-Session-Id} and
 *       cookies included, passes as it is, and so do the status, the response headers (compressed
 *       bodies stay compressed) and the body.
 * </ul>
 *
 * <p>Bodies stream in both directions with a few buffers of memory per request, whatever their
 * size: the request body is sent upstream as it arrives, and the response is written and flushed
 * to the client chunk by chunk, so NDJSON and SSE events arrive live. There is no total timeout
 * (streams may last for hours); a request fails when neither side moves a byte for the idle
 * timeout.
 *
 * <p>Retries: a request is retried (at most twice, after 100 ms and 300 ms) only if its method is
 * idempotent (GET, HEAD, OPTIONS, PUT, DELETE), it has no body, and the upstream connection failed
 * before any response arrived. Nothing else is ever sent twice.
 */
public final class ReverseProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReverseProxy.class);
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
  private static final List<Duration> BACKOFF = List.of(Duration.ofMillis(100), Duration.ofMillis(300));
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** How long a pooled connection may sit unused; below the usual 30 s server idle timeout, so the upstream rarely closes one under us. */
  private static final Duration POOLED_IDLE = Duration.ofSeconds(15);
  private static final int BUFFER = 16 * 1024;

  private final HttpClient client;
  private final Duration idleTimeout;
  private final List<Duration> backoff;
  private final IntConsumer beforeRetry;
  private final AtomicLong errors = new AtomicLong();

  /** A proxy whose requests fail after 10 minutes without a byte in either direction. */
  public ReverseProxy() {
    this(Duration.ofMinutes(10));
  }

  /**
   * @param idleTimeout how long a request may go without a byte in either direction before it
   *     fails; must exceed the longest silent wait a workspace may keep (e.g. {@code ?wait=300})
   * @throws IllegalStateException if the HTTP client cannot start
   */
  public ReverseProxy(Duration idleTimeout) {
    this(idleTimeout, BACKOFF, attempt -> {});
  }

  /** For tests: the backoff before each retry, and a hook run just before retry number {@code n} (1-based). */
  ReverseProxy(Duration idleTimeout, List<Duration> backoff, IntConsumer beforeRetry) {
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("the idle timeout must be positive");
    }
    this.idleTimeout = idleTimeout;
    this.backoff = List.copyOf(backoff);
    this.beforeRetry = beforeRetry;
    client = dev.sandcastle.orchestrator.JettyClients.start("proxy", 64, 2, http -> {
      http.setConnectTimeout(CONNECT_TIMEOUT.toMillis());
      http.setIdleTimeout(POOLED_IDLE.toMillis());
      http.setDestinationIdleTimeout(Duration.ofMinutes(5).toMillis());
      http.setMaxConnectionsPerDestination(128);
      http.setMaxRequestsQueuedPerDestination(512);
      // A transparent proxy: no redirects followed, no cookies remembered across tenants, no
      // decompression, no protocol handling (401 challenges, 100-continue) and no own User-Agent
      // or Content-Type.
      http.setFollowRedirects(false);
      http.setHttpCookieStore(new HttpCookieStore.Empty());
      http.getContentDecoderFactories().clear();
      http.getProtocolHandlers().clear();
      http.setUserAgentField(null);
      http.setDefaultRequestContentType(null);
    });
  }

  /**
   * Forwards the request of {@code ctx} to {@code upstream} at {@code path} (plus the request's
   * query string) and writes the upstream's response to {@code ctx}'s response. Blocks until the
   * response is complete or failed; call it from the request's own (virtual) thread. Reads the
   * raw request body, so Javalin's {@code maxRequestSize} does not apply; writes the response
   * directly (never through {@code ctx.result}) and commits it before returning.
   *
   * <p>Register Javalin error handlers (e.g. for 404) so that they skip committed responses,
   * or they would append to the upstream's body.
   *
   * @param path the upstream path, raw (percent-encoded) as it appears in the request line and
   *     starting with '/', e.g. {@code ctx.path()} without the prefix the route matched
   * @throws BadRequest if the path cannot be forwarded
   * @throws Unavailable if the upstream could not be reached or answered nothing (after the
   *     retries allowed); nothing has been written to the client then. Once the upstream's
   *     response has started, a failure aborts the client's connection instead (the client sees a
   *     truncated response, never a seemingly complete one), and nothing is thrown.
   */
  public void forward(Context ctx, Upstream upstream, String path) {
    forward(ctx, upstream, path, java.util.Map.of());
  }

  /**
   * Like {@link #forward(Context, Upstream, String)}, with headers set (replacing the client's):
   * the orchestrator states the authenticated identity ({@code X-User-Id}, {@code
   * X-Terminal-Context-Id}) instead of passing on whatever the client sent.
   */
  public void forward(Context ctx, Upstream upstream, String path, java.util.Map<String, String> setHeaders) {
    HttpServletRequest req = ctx.req();
    URI target;
    try {
      target = Forwarding.target(upstream, path, req.getQueryString(), false);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("this path cannot be forwarded to the workspace");
    }
    String method = req.getMethod();
    boolean hasBody = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
    int retries = hasBody || !IDEMPOTENT.contains(method) ? 0 : backoff.size();
    for (int attempt = 0; ; attempt++) {
      Exchange exchange = new Exchange(ctx, upstream, target, hasBody, setHeaders);
      Response response;
      try {
        response = exchange.start();
      } catch (ExecutionException e) {
        exchange.finishUpload();
        if (exchange.clientFailed()) {
          return; // the client went away while sending; nobody is left to answer
        }
        Throwable cause = e.getCause();
        if (attempt < retries && !(cause instanceof TimeoutException)) {
          pause(attempt);
          continue;
        }
        errors.incrementAndGet();
        if (cause instanceof TimeoutException) {
          throw new Unavailable("the workspace did not answer within " + idleTimeout.toSeconds() + " s");
        }
        throw new Unavailable("the workspace is unreachable; it may be starting or stopped, try again in a moment");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.abort(e);
        exchange.finishUpload();
        throw new Unavailable("the server is shutting down");
      }
      exchange.relay(response);
      return;
    }
  }

  private void pause(int attempt) {
    beforeRetry.accept(attempt + 1);
    try {
      Thread.sleep(backoff.get(attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("the server is shutting down");
    }
  }

  /** Upstream failures so far: unreachable (after retries), timed out, or broken mid-response. Clients going away are not counted. */
  public long errors() {
    return errors.get();
  }

  /** Stops the HTTP client; requests in flight fail. */
  @Override
  public void close() {
    try {
      client.stop();
    } catch (Exception e) {
      log.warn("stopping the proxy's HTTP client: {}", e.toString());
    }
  }

  /** One attempt: the upstream request, its body's upload (on a virtual thread) and the response. */
  private final class Exchange {
    private final Context ctx;
    private final Request request;
    private final InputStreamResponseListener listener = new InputStreamResponseListener();
    private final OutputStreamRequestContent body;
    private Thread uploader;
    private volatile boolean clientFailed;

    Exchange(Context ctx, Upstream upstream, URI target, boolean hasBody, java.util.Map<String, String> setHeaders) {
      this.ctx = ctx;
      HttpServletRequest req = ctx.req();
      request = client.newRequest(target).method(req.getMethod())
          .idleTimeout(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
      Set<String> connectionTokens = Forwarding.connectionTokens(Collections.list(req.getHeaders("Connection")));
      request.headers(headers -> {
        for (String name : Collections.list(req.getHeaderNames())) {
          if (Forwarding.forwardRequestHeader(name, connectionTokens)) {
            for (String value : Collections.list(req.getHeaders(name))) {
              headers.add(name, value);
            }
          }
        }
        setHeaders.forEach(headers::put);
        headers.put(HttpHeader.AUTHORIZATION, "Bearer " + upstream.apiKey());
        headers.put("X-Forwarded-For", Forwarding.forwardedFor(req.getHeader("X-Forwarded-For"), req.getRemoteAddr()));
        headers.put("X-Forwarded-Proto", req.getScheme());
        String host = req.getHeader("Host");
        if (host != null) {
          headers.put("X-Forwarded-Host", host);
        }
      });
      if (hasBody) {
        long length = req.getContentLengthLong();
        body = new OutputStreamRequestContent() {
          @Override
          public long getLength() {
            return length; // -1 (chunked) unless the client declared it
          }

          @Override
          public String getContentType() {
            return null; // the client's Content-Type header, if any, is forwarded as it is
          }
        };
        request.body(body);
      } else {
        body = null;
        if (req.getContentLengthLong() == 0) {
          request.body(new BytesRequestContent((String) null, new byte[0])); // keeps the client's "Content-Length: 0"
        }
      }
    }

    /** Sends the request, streams the body up while waiting, and returns once the response headers are in. */
    Response start() throws ExecutionException, InterruptedException {
      request.send(listener);
      if (body != null) {
        uploader = Thread.ofVirtual().name("proxy-upload").start(this::upload);
      }
      try {
        return listener.get(Long.MAX_VALUE, TimeUnit.DAYS);
      } catch (TimeoutException e) {
        throw new ExecutionException(e); // not reached: Jetty's idle timeout fails the exchange first
      }
    }

    /** Copies the client's body to the upstream until it ends or either side fails. */
    private void upload() {
      OutputStream out = body.getOutputStream();
      byte[] buffer = new byte[BUFFER];
      try (InputStream in = ctx.req().getInputStream()) {
        while (true) {
          int n;
          try {
            n = in.read(buffer);
          } catch (IOException e) {
            clientFailed = true;
            request.abort(e); // never end the upstream's body normally when the client's was cut short
            return;
          }
          if (n < 0) {
            break;
          }
          try {
            out.write(buffer, 0, n);
          } catch (IOException e) {
            return; // the exchange failed upstream; the response side reports it
          }
        }
        out.close();
      } catch (IOException e) {
        clientFailed = true;
        request.abort(e);
      }
    }

    boolean clientFailed() {
      return clientFailed;
    }

    void abort(Throwable cause) {
      request.abort(cause);
    }

    /** Waits for the upload to end, first stopping it if the exchange is over without it. */
    void finishUpload() {
      Thread thread = uploader;
      if (thread == null) {
        return;
      }
      if (thread.isAlive()) {
        request.abort(new IOException("the upstream answered before reading the whole body"));
      }
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Writes the response's status, headers and body to the client as they arrive. */
    void relay(Response response) {
      HttpServletResponse res = ctx.res();
      res.setStatus(response.getStatus());
      Set<String> connectionTokens = Forwarding.connectionTokens(response.getHeaders().getValuesList(HttpHeader.CONNECTION));
      Set<String> written = new java.util.HashSet<>();
      boolean contentType = false;
      for (HttpField field : response.getHeaders()) {
        String name = field.getName();
        if (!Forwarding.forwardResponseHeader(name, connectionTokens)) {
          continue;
        }
        if (written.add(name.toLowerCase(java.util.Locale.ROOT))) {
          res.setHeader(name, field.getValue());
        } else {
          res.addHeader(name, field.getValue());
        }
        contentType |= field.getHeader() == HttpHeader.CONTENT_TYPE;
      }
      if (!contentType) {
        res.setContentType(null);
      }
      try (InputStream in = listener.getInputStream()) {
        ServletOutputStream out;
        try {
          out = res.getOutputStream();
          out.flush(); // the status and headers go out now, before a slow stream's first event
        } catch (IOException e) {
          abort(e);
          return;
        }
        byte[] buffer = new byte[BUFFER];
        while (true) {
          int n;
          try {
            n = in.read(buffer);
          } catch (IOException e) {
            errors.incrementAndGet();
            log.debug("upstream response broke off: {}", e.toString());
            abortClient(e);
            return;
          }
          if (n < 0) {
            break;
          }
          try {
            out.write(buffer, 0, n);
            out.flush();
          } catch (IOException e) {
            abort(e); // the client went away
            return;
          }
        }
      } catch (IOException e) {
        // closing the listener's stream does not fail
      } finally {
        finishUpload();
      }
    }

    /** Ends the client's connection abruptly, so a broken upstream response does not look complete. */
    private void abortClient(Throwable cause) {
      request.abort(cause);
      try {
        // Closing the connection (rather than failing the servlet channel) leaves Javalin's own
        // completion of the request undisturbed; its writes then fail quietly.
        ServletContextRequest.getServletContextRequest(ctx.req()).getServletChannel().getEndPoint().close(cause);
      } catch (RuntimeException e) {
        log.debug("cannot abort the client connection: {}", e.toString());
      }
    }
  }
}
