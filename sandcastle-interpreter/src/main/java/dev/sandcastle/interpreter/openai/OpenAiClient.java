package dev.sandcastle.interpreter.openai;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PayloadTooLarge;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A client for the configured OpenAI-compatible upstreams: their merged model list, and chat
 * completions, streamed or whole.
 *
 * <p>Thread-safe; every method blocks the calling thread (meant for virtual threads) and none
 * takes or returns null. Timeouts: {@link Options#connectTimeout()} to connect; no limit on a
 * whole answer, but {@link Options#idleTimeout()} between two pieces of it (and before the
 * response's headers). Interrupting the calling thread aborts the call at once: the connection is
 * dropped, the interrupt flag stays set, and the method throws {@link Unavailable}.
 *
 * <p>What may fail, as unchecked exceptions from {@code dev.sandcastle.core.errors}:
 *
 * <ul>
 *   <li>{@link Unavailable}: the upstream cannot be reached, answered an HTTP error (the message
 *       carries its own error message, from {@code error.message} when it sent JSON), reported an
 *       error inside the stream, sent something that is not OpenAI's format, went silent for the
 *       idle timeout, or the call was interrupted. Messages name the upstream by its name and
 *       never contain an API key.
 *   <li>{@link BadRequest}, {@link PayloadTooLarge}, {@link QuotaExceeded}: a chat completion
 *       the upstream refused as the caller's (HTTP 400/422, 413, 429), with its message.
 *   <li>{@link NotFound}: {@link #upstreamFor} knows no upstream serving the model.
 * </ul>
 */
public final class OpenAiClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenAiClient.class);
  private static final Duration MODELS_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DRAIN_TIMEOUT = Duration.ofMillis(200);
  private static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;
  private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
  private static final int MAX_ERROR_BYTES = 64 * 1024;
  private static final int MAX_MESSAGE_CHARS = 500;

  /**
   * Timeouts and the models cache's lifetime; all positive.
   *
   * @param connectTimeout to open a connection (default 10 s)
   * @param idleTimeout the longest silence of an upstream while we wait for its answer, between
   *     two pieces of it or before its first (default 5 min)
   * @param modelsCacheTtl how long a discovered model list is reused (default 60 s)
   */
  public record Options(Duration connectTimeout, Duration idleTimeout, Duration modelsCacheTtl) {
    public Options {
      requirePositive(connectTimeout, "connectTimeout");
      requirePositive(idleTimeout, "idleTimeout");
      requirePositive(modelsCacheTtl, "modelsCacheTtl");
    }

    /** 10 s to connect, 5 min idle, models cached 60 s. */
    public static Options defaults() {
      return new Options(Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(60));
    }

    /** These options with another connect timeout. */
    public Options withConnectTimeout(Duration timeout) {
      return new Options(timeout, idleTimeout, modelsCacheTtl);
    }

    /** These options with another idle timeout. */
    public Options withIdleTimeout(Duration timeout) {
      return new Options(connectTimeout, timeout, modelsCacheTtl);
    }

    /** These options with another models cache lifetime. */
    public Options withModelsCacheTtl(Duration ttl) {
      return new Options(connectTimeout, idleTimeout, ttl);
    }

    private static void requirePositive(Duration duration, String name) {
      Objects.requireNonNull(duration, name);
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be positive");
      }
    }
  }

  private final Upstreams upstreams;
  private final Options options;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient http;
  private final List<Listing> listings;

  /** A client with the default {@link Options}. */
  public OpenAiClient(Upstreams upstreams) {
    this(upstreams, Options.defaults());
  }

  /** A client for these upstreams; it starts no connection before the first call. */
  public OpenAiClient(Upstreams upstreams, Options options) {
    this.upstreams = Objects.requireNonNull(upstreams, "upstreams");
    this.options = Objects.requireNonNull(options, "options");
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(options.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor)
        .build();
    this.listings = upstreams.all().stream().map(Listing::new).toList();
  }

  /** The upstreams this client serves. */
  public Upstreams upstreams() {
    return upstreams;
  }

  /**
   * The models of every upstream, in upstream order, each id once (the first upstream listing an
   * id serves it). A configured list is taken as is; otherwise {@code GET {base}/models} is asked
   * ({@code data[].id}) and its answer reused for {@link Options#modelsCacheTtl()}. Upstreams are
   * asked in parallel; one that fails is left out (with a warning in the log) and asked again at
   * the next call. Never fails.
   */
  public List<Model> models() {
    return snapshot().models();
  }

  /**
   * The upstream serving this model, per {@link #models()}.
   *
   * @throws NotFound no upstream lists the model
   * @throws Unavailable no answering upstream lists it, and some upstream could not be asked
   */
  public Upstream upstreamFor(String model) {
    Objects.requireNonNull(model, "model");
    Snapshot snapshot = snapshot();
    for (Model candidate : snapshot.models()) {
      if (candidate.id().equals(model)) {
        return upstreams.named(candidate.upstream()).orElseThrow();
      }
    }
    String shown = shorten(model, 200);
    if (!snapshot.failures().isEmpty()) {
      throw new Unavailable("no reachable upstream offers the model '" + shown
          + "'; could not list the models of " + String.join("; ", snapshot.failures()));
    }
    throw new NotFound("no upstream offers the model '" + shown + "'");
  }

  /**
   * Streams a chat completion: POSTs a copy of {@code request} with {@code "stream": true} to
   * {@code {base}/chat/completions} and hands each chunk to the handler as it arrives, on this
   * thread, until {@code data: [DONE]} or the end of the response. The request is not modified.
   *
   * <p>An upstream that answers with plain JSON instead of events is accepted: its answer is
   * handed over as one chunk (message as delta). A chunk carrying {@code error} (or an {@code
   * event: error}), a web page instead of events, or a stream ending without any chunk end the
   * call with {@link Unavailable}.
   *
   * <p>If the handler throws, the connection is dropped and the exception propagates unchanged.
   *
   * @throws Unavailable see the class description
   */
  public void stream(Upstream upstream, ObjectNode request, ChunkHandler handler) {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(handler, "handler");
    ObjectNode body = request.deepCopy();
    body.put("stream", true);
    try (Exchange exchange = open(upstream, post(upstream, body, "text/event-stream"),
        options.idleTimeout())) {
      try {
        expectSuccess(upstream, exchange, true);
        if (isJson(exchange)) {
          ObjectNode whole = readObject(upstream, exchange);
          handler.chunk(Chunks.fromCompletion(whole));
          return;
        }
        if (contentType(exchange).startsWith("text/html")) {
          throw new Unavailable("the upstream '" + upstream.name()
              + "' answered with a web page instead of an event stream; is the base URL right?");
        }
        SseParser parser = new SseParser(MAX_EVENT_BYTES);
        List<SseParser.Event> events = new ArrayList<>();
        boolean any = false;
        while (true) {
          Optional<List<ByteBuffer>> piece = exchange.next();
          try {
            if (piece.isEmpty()) {
              parser.finish(events::add);
            } else {
              for (ByteBuffer buffer : piece.get()) {
                parser.feed(buffer, events::add);
              }
            }
          } catch (IllegalStateException e) {
            throw new Unavailable("the upstream '" + upstream.name() + "' sent " + e.getMessage());
          }
          for (SseParser.Event event : events) {
            if (event.data().strip().equals("[DONE]")) {
              exchange.drain(DRAIN_TIMEOUT);
              return;
            }
            any = true;
            handler.chunk(chunk(upstream, event));
          }
          events.clear();
          if (piece.isEmpty()) {
            if (!any) {
              throw new Unavailable("the upstream '" + upstream.name()
                  + "' ended its answer without sending anything");
            }
            return;
          }
        }
      } catch (Exchange.Failed e) {
        throw unavailable(upstream, e.failure);
      }
    }
  }

  /**
   * A whole chat completion: POSTs a copy of {@code request} with {@code "stream": false} (and
   * without {@code stream_options}) and returns the upstream's {@code chat.completion} object.
   *
   * @throws Unavailable see the class description
   */
  public ObjectNode complete(Upstream upstream, ObjectNode request) {
    Objects.requireNonNull(upstream, "upstream");
    ObjectNode body = request.deepCopy();
    body.put("stream", false);
    body.remove("stream_options");
    try (Exchange exchange = open(upstream, post(upstream, body, "application/json"),
        options.idleTimeout())) {
      try {
        expectSuccess(upstream, exchange, true);
        return readObject(upstream, exchange);
      } catch (Exchange.Failed e) {
        throw unavailable(upstream, e.failure);
      }
    }
  }

  /** Drops open connections and stops the client's threads. Idempotent. */
  @Override
  public void close() {
    http.shutdownNow();
    try {
      http.awaitTermination(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }

  // ---- models

  /** One upstream's last model listing attempt. */
  private record Attempt(List<Model> models, String failure, long finishedAt) {
    boolean ok() {
      return failure.isEmpty();
    }
  }

  private record Snapshot(List<Model> models, List<String> failures) {}

  private static final class Listing {
    final Upstream upstream;
    final ReentrantLock lock = new ReentrantLock();
    volatile Attempt last;

    Listing(Upstream upstream) {
      this.upstream = upstream;
    }
  }

  private Snapshot snapshot() {
    long now = System.nanoTime();
    List<Listing> stale = listings.stream().filter(listing -> !fresh(listing, now)).toList();
    if (stale.size() == 1) {
      refresh(stale.getFirst(), now);
    } else if (stale.size() > 1) {
      try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
        for (Listing listing : stale) {
          parallel.submit(() -> refresh(listing, now));
        }
      }
    }
    Map<String, Model> merged = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    for (Listing listing : listings) {
      Attempt attempt = listing.last;
      if (attempt == null) {
        failures.add(listing.upstream.name() + ": not asked");
      } else if (attempt.ok()) {
        attempt.models().forEach(model -> merged.putIfAbsent(model.id(), model));
      } else {
        failures.add(attempt.failure());
      }
    }
    return new Snapshot(List.copyOf(merged.values()), List.copyOf(failures));
  }

  private boolean fresh(Listing listing, long now) {
    Attempt attempt = listing.last;
    return attempt != null && attempt.ok()
        && (!listing.upstream.models().isEmpty()
            || now - attempt.finishedAt() < options.modelsCacheTtl().toNanos());
  }

  /** Asks one upstream, unless another caller did so since {@code since}. */
  private void refresh(Listing listing, long since) {
    listing.lock.lock();
    try {
      Attempt previous = listing.last;
      if (previous != null && previous.finishedAt() - since >= 0) {
        return;
      }
      try {
        listing.last = new Attempt(fetchModels(listing.upstream), "", System.nanoTime());
      } catch (RuntimeException e) {
        String failure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        log.warn("{}; its models are left out until it answers", failure);
        listing.last = new Attempt(List.of(), failure, System.nanoTime());
      }
    } finally {
      listing.lock.unlock();
    }
  }

  private List<Model> fetchModels(Upstream upstream) {
    if (!upstream.models().isEmpty()) {
      return upstream.models().stream().distinct()
          .map(id -> new Model(id, upstream.name(), upstream.name())).toList();
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(upstream.endpoint("models"))
        .header("Accept", "application/json").GET();
    authorize(request, upstream);
    try (Exchange exchange = open(upstream, request.build(), MODELS_TIMEOUT)) {
      try {
        expectSuccess(upstream, exchange, false);
        ObjectNode body = readObject(upstream, exchange);
        JsonNode list = body.path("data").isArray() ? body.path("data") : body.path("models");
        if (!list.isArray()) {
          throw new Unavailable("the upstream '" + upstream.name()
              + "' answered the model list without a 'data' array");
        }
        Map<String, Model> models = new LinkedHashMap<>();
        for (JsonNode item : list) {
          String id = item.path("id").asString("");
          if (id.isBlank()) {
            id = item.path("model").asString(item.path("name").asString(""));
          }
          if (!id.isBlank()) {
            String ownedBy = item.path("owned_by").asString("");
            models.putIfAbsent(id, new Model(id, ownedBy.isBlank() ? upstream.name() : ownedBy,
                upstream.name()));
          }
        }
        return List.copyOf(models.values());
      } catch (Exchange.Failed e) {
        throw unavailable(upstream, e.failure);
      }
    }
  }

  // ---- HTTP

  private HttpRequest post(Upstream upstream, ObjectNode body, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(upstream.endpoint("chat/completions"))
        .header("Content-Type", "application/json")
        .header("Accept", accept)
        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
    authorize(request, upstream);
    return request.build();
  }

  private static void authorize(HttpRequest.Builder request, Upstream upstream) {
    if (!upstream.apiKey().isEmpty()) {
      request.header("Authorization", "Bearer " + upstream.apiKey());
    }
  }

  private Exchange open(Upstream upstream, HttpRequest request, Duration idle) {
    try {
      return Exchange.open(http, request, idle);
    } catch (Exchange.Failed e) {
      throw unavailable(upstream, e.failure);
    }
  }

  /**
   * @param chat whether this is a chat completion: then the upstream's refusals of the request
   *     itself reach the caller as theirs (400 and 422: bad request, e.g. a context too long;
   *     413: too large; 429: rate limited); authentication, missing paths and server errors stay
   *     {@link Unavailable} (the server's configuration or the upstream, not the caller)
   */
  private static void expectSuccess(Upstream upstream, Exchange exchange, boolean chat) {
    int status = exchange.status();
    if (status >= 200 && status < 300) {
      return;
    }
    String detail = "";
    try {
      detail = errorMessage(exchange.readAll(MAX_ERROR_BYTES), upstream);
    } catch (Exchange.Failed e) {
      // the status says enough
    }
    String where = status >= 300 && status < 400
        ? " (a redirect to " + exchange.header("Location").map(l -> shorten(l, 200)).orElse("?")
            + "; is the base URL right?)"
        : "";
    String message = "the upstream '" + upstream.name() + "' answered HTTP " + status + where
        + (detail.isEmpty() ? "" : ": " + detail);
    if (chat) {
      switch (status) {
        case 400, 422 -> throw new BadRequest("the model refused the request: " + message);
        case 413 -> throw new PayloadTooLarge("the model refused the request as too large: " + message);
        case 429 -> throw new QuotaExceeded("the model is rate limited: " + message);
        default -> { }
      }
    }
    throw new Unavailable(message);
  }

  private static boolean isJson(Exchange exchange) {
    return contentType(exchange).startsWith("application/json");
  }

  private static String contentType(Exchange exchange) {
    return exchange.header("Content-Type").orElse("").strip().toLowerCase(Locale.ROOT);
  }

  private static ObjectNode readObject(Upstream upstream, Exchange exchange) {
    byte[] bytes = exchange.readAll(MAX_BODY_BYTES);
    if (exchange.truncated()) {
      throw new Unavailable("the upstream '" + upstream.name() + "' sent an answer larger than "
          + MAX_BODY_BYTES / (1024 * 1024) + " MB");
    }
    ObjectNode object = parseObject(bytes).orElseThrow(() -> new Unavailable(
        "the upstream '" + upstream.name() + "' answered with something that is not a JSON object"));
    rejectError(upstream, object);
    return object;
  }

  private static ObjectNode chunk(Upstream upstream, SseParser.Event event) {
    Optional<ObjectNode> parsed = parseObject(event.data().getBytes(StandardCharsets.UTF_8));
    if (event.type().equals("error")) {
      String message = parsed.map(node -> messageOf(node, upstream))
          .orElse(clean(event.data(), upstream));
      throw new Unavailable("the upstream '" + upstream.name() + "' reported an error"
          + (message.isEmpty() ? "" : ": " + message));
    }
    ObjectNode chunk = parsed.orElseThrow(() -> new Unavailable("the upstream '" + upstream.name()
        + "' sent an event that is not a JSON object: '" + clean(event.data(), upstream) + "'"));
    rejectError(upstream, chunk);
    return chunk;
  }

  /** An {@code error} member without {@code choices}: the upstream failed mid-way. */
  private static void rejectError(Upstream upstream, ObjectNode node) {
    JsonNode error = node.path("error");
    if (!error.isMissingNode() && !error.isNull() && !node.has("choices")) {
      String message = messageOf(node, upstream);
      throw new Unavailable("the upstream '" + upstream.name() + "' reported an error"
          + (message.isEmpty() ? "" : ": " + message));
    }
  }

  private static Optional<ObjectNode> parseObject(byte[] bytes) {
    try {
      return Json.MAPPER.readTree(bytes) instanceof ObjectNode object
          ? Optional.of(object) : Optional.empty();
    } catch (JacksonException e) {
      return Optional.empty();
    }
  }

  /** The upstream's own words from an error body: JSON {@code error.message} and kin, or text. */
  static String errorMessage(byte[] body, Upstream upstream) {
    Optional<ObjectNode> json = parseObject(body);
    if (json.isPresent()) {
      return messageOf(json.get(), upstream);
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.startsWith("<")) {
      return ""; // an HTML error page of some proxy: nothing a user can read in a message
    }
    return clean(text, upstream);
  }

  private static String messageOf(ObjectNode node, Upstream upstream) {
    JsonNode error = node.path("error");
    String message;
    if (error.isString()) {
      message = error.asString();
    } else if (error.path("message").isString()) {
      message = error.path("message").asString();
    } else if (node.path("detail").isString()) {
      message = node.path("detail").asString();
    } else if (node.path("message").isString()) {
      message = node.path("message").asString();
    } else {
      message = "";
    }
    return clean(message, upstream);
  }

  /** One line, bounded, and never the upstream's key. */
  private static String clean(String text, Upstream upstream) {
    String cleaned = text;
    if (!upstream.apiKey().isEmpty()) {
      cleaned = cleaned.replace(upstream.apiKey(), "***");
    }
    cleaned = cleaned.replaceAll("[\\p{Cntrl}&&[^\\t]]+", " ").strip();
    return shorten(cleaned, MAX_MESSAGE_CHARS);
  }

  private static String shorten(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "…";
  }

  private static Unavailable unavailable(Upstream upstream, Exchange.Failure failure) {
    String name = "'" + upstream.name() + "'";
    return switch (failure) {
      case Exchange.IdleTimeout(Duration timeout) ->
          new Unavailable("the upstream " + name + " sent nothing for " + human(timeout));
      case Exchange.Interrupted() ->
          new Unavailable("the call to the upstream " + name + " was interrupted");
      case Exchange.Broken(Throwable cause) -> new Unavailable(describe(cause, upstream, name));
    };
  }

  private static String describe(Throwable cause, Upstream upstream, String name) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof HttpConnectTimeoutException) {
        return "could not connect to the upstream " + name + " in time";
      }
      if (t instanceof ConnectException) {
        return "could not connect to the upstream " + name + " (connection refused)";
      }
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return "could not connect to the upstream " + name + " (unknown host)";
      }
      if (t instanceof SSLException) {
        return "could not talk TLS with the upstream " + name + " ("
            + clean(String.valueOf(t.getMessage()), upstream) + ")";
      }
      if (t instanceof HttpTimeoutException) {
        return "the upstream " + name + " did not answer in time";
      }
    }
    String reason = cause.getMessage() == null ? cause.getClass().getSimpleName()
        : clean(cause.getMessage(), upstream);
    return "the connection to the upstream " + name + " failed (" + reason + ")";
  }

  private static String human(Duration duration) {
    if (duration.toMillis() % 60_000 == 0) {
      return duration.toMinutes() + " min";
    }
    if (duration.toMillis() % 1000 == 0) {
      return duration.toSeconds() + " s";
    }
    return duration.toMillis() + " ms";
  }
}
