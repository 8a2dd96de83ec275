package dev.sandcastle.interpreter.openai;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A scripted OpenAI-compatible server for tests: {@code POST /v1/chat/completions} replays the
 * enqueued turns in order, one turn per request, and {@code GET /v1/models} lists the configured
 * model ids. It listens on 127.0.0.1 on a random port and handles each request on its own virtual
 * thread.
 *
 * <p>A turn is streamed as Server-Sent Events when the request says {@code "stream": true} (each
 * chunk flushed on its own, after the optional {@link #withDelay per-chunk delay}, then {@code
 * data: [DONE]}), otherwise answered as one {@code chat.completion} assembled from the same
 * chunks. A streamed request with {@code stream_options.include_usage} also gets a usage chunk.
 * Chunks carry the request's {@code model}. When no turn is left the server answers HTTP 500 with
 * a message saying so, so a test calling the model too often fails loudly.
 *
 * <p>Every request is recorded (method, path, headers, JSON body). Thread-safe: scripting,
 * recording and serving may overlap. {@link #close()} stops the server and its threads.
 */
public final class FakeOpenAi implements AutoCloseable {
  /**
   * One received request; {@code body} is empty for a request without a JSON object body;
   * {@code clientPort} tells connections apart (the same port: the connection was reused).
   */
  public record Received(String method, String path, Map<String, List<String>> headers,
      ObjectNode body, int clientPort) {
    /** The first value of a header (name case-insensitive). */
    public Optional<String> header(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }
  }

  private sealed interface Turn {}

  /** {@code stampModel}: the chunks get the request's model. */
  private record Chunked(List<ObjectNode> chunks, boolean stampModel) implements Turn {}

  private record Raw(String contentType, List<String> writes) implements Turn {}

  private record Failure(int status, String message) implements Turn {}

  private static final Duration AWAIT = Duration.ofSeconds(10);

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final long created = Instant.now().getEpochSecond();
  private final ConcurrentLinkedQueue<Turn> script = new ConcurrentLinkedQueue<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<ObjectNode> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger turns = new AtomicInteger();
  private final AtomicInteger unscripted = new AtomicInteger();
  private final AtomicInteger aborted = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private volatile List<String> models = List.of("fake-model");
  private volatile Failure modelsFailure;
  private volatile Duration delay = Duration.ZERO;
  private volatile String apiKey = "";

  private FakeOpenAi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server listing one model, {@code fake-model}, with an empty script. */
  public static FakeOpenAi start() {
    try {
      return new FakeOpenAi();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:{port}/v1}, the base URL for an {@link Upstream}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** The model ids {@code GET /v1/models} lists from now on (and it stops failing). */
  public FakeOpenAi models(String... ids) {
    models = List.of(ids);
    modelsFailure = null;
    return this;
  }

  /** {@code GET /v1/models} answers this HTTP error until {@link #models} is called. */
  public FakeOpenAi failModels(int status, String message) {
    modelsFailure = new Failure(status, message);
    return this;
  }

  /**
   * Requires {@code Authorization: Bearer {key}} on every request; other requests get HTTP 401
   * whose message repeats the key they sent, as a careless upstream might.
   */
  public FakeOpenAi requireApiKey(String key) {
    apiKey = Objects.requireNonNull(key);
    return this;
  }

  /** Waits this long before each streamed chunk (and each raw write) from now on. */
  public FakeOpenAi withDelay(Duration perChunk) {
    delay = Objects.requireNonNull(perChunk);
    return this;
  }

  /**
   * One assistant turn of text: a role chunk, one content chunk per piece, then finish reason
   * {@code stop}.
   */
  public FakeOpenAi enqueueText(String... pieces) {
    String id = nextId();
    List<ObjectNode> chunks = new ArrayList<>();
    chunks.add(Chunks.role(id, "", created));
    for (String piece : pieces) {
      chunks.add(Chunks.content(id, "", created, piece));
    }
    chunks.add(Chunks.finish(id, "", created, "stop"));
    script.add(new Chunked(chunks, true));
    return this;
  }

  /**
   * One assistant turn calling one function, streamed the way OpenAI does: the first fragment
   * carries the id, type and name with empty arguments, then the arguments come in three pieces,
   * then finish reason {@code tool_calls}.
   */
  public FakeOpenAi enqueueToolCall(String callId, String name, String argumentsJson) {
    String id = nextId();
    List<ObjectNode> chunks = new ArrayList<>();
    ObjectNode first = Chunks.toolCalls(id, "", created, List.of(new ToolCall(callId, name, "")));
    delta(first).put("role", "assistant").putNull("content");
    chunks.add(first);
    for (String piece : split(argumentsJson, 3)) {
      ObjectNode fragment = Chunks.content(id, "", created, "");
      ObjectNode delta = delta(fragment);
      delta.remove("content");
      delta.putArray("tool_calls").addObject().put("index", 0)
          .putObject("function").put("arguments", piece);
      chunks.add(fragment);
    }
    chunks.add(Chunks.finish(id, "", created, "tool_calls"));
    script.add(new Chunked(chunks, true));
    return this;
  }

  /**
   * One turn of exactly these chunks (copied, sent as they are), then {@code data: [DONE]}.
   */
  public FakeOpenAi enqueueChunks(List<ObjectNode> rawChunks) {
    script.add(new Chunked(rawChunks.stream().map(ObjectNode::deepCopy).toList(), false));
    return this;
  }

  /**
   * One streamed turn of these exact byte sequences (UTF-8), each written and flushed on its own
   * with the per-chunk delay before it: for tests of odd framing. Nothing is added (no {@code
   * [DONE]}); a non-streaming request gets the same bytes.
   */
  public FakeOpenAi enqueueRaw(String... writes) {
    script.add(new Raw("text/event-stream", List.of(writes)));
    return this;
  }

  /**
   * One turn answered with this JSON body ({@code application/json}, HTTP 200) whether the
   * request asked for a stream or not, as servers that ignore {@code stream} do.
   */
  public FakeOpenAi enqueueJson(ObjectNode body) {
    script.add(new Raw("application/json", List.of(Json.MAPPER.writeValueAsString(body))));
    return this;
  }

  /** One turn answered with HTTP {@code status} and {@code {"error":{"message":...}}}. */
  public FakeOpenAi enqueueError(int status, String message) {
    script.add(new Failure(status, message));
    return this;
  }

  /** Turns not yet replayed. */
  public int pending() {
    return script.size();
  }

  /** The bodies of the chat completion requests received so far, in order. */
  public List<ObjectNode> requests() {
    return List.copyOf(requests);
  }

  /**
   * Waits (up to 10 s) until at least {@code n} chat completion requests arrived, and returns
   * them all.
   *
   * @throws AssertionError fewer arrived in time
   */
  public List<ObjectNode> awaitRequests(int n) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    synchronized (requests) {
      while (requests.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("FakeOpenAi: expected " + n + " chat requests within "
              + AWAIT.toSeconds() + " s, got " + requests.size());
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(requests, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for requests", e);
        }
      }
      return List.copyOf(requests);
    }
  }

  /** Every request received so far (models and chats, in arrival order), with headers. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** Chat requests that found the script empty (and got HTTP 500). */
  public int unscriptedRequests() {
    return unscripted.get();
  }

  /**
   * Streams the client left before their end (a write to it failed). A java.net.http client is
   * noticed only once the JDK releases its socket, up to 3 s after it gave up (wait with
   * Awaitility); {@code TrickleServer} sees the half-close at once.
   */
  public int abortedStreams() {
    return aborted.get();
  }

  /** Streams written to their end. */
  public int completedStreams() {
    return completed.get();
  }

  /** Stops the server, ending streams in progress. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- serving

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
      String path = exchange.getRequestURI().getPath();
      byte[] bytes = exchange.getRequestBody().readAllBytes();
      ObjectNode body = parse(bytes);
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, List.copyOf(values)));
      received.add(new Received(method, path, Collections.unmodifiableMap(headers), body,
          exchange.getRemoteAddress().getPort()));
      boolean chat = method.equals("POST") && path.equals("/v1/chat/completions");
      if (chat) {
        synchronized (requests) {
          requests.add(body);
          requests.notifyAll();
        }
      }
      String expected = apiKey;
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      if (!expected.isEmpty() && !("Bearer " + expected).equals(authorization)) {
        String sent = authorization == null ? "(none)" : authorization.replaceFirst("^Bearer ", "");
        sendError(exchange, 401, "Incorrect API key provided: " + sent);
        return;
      }
      if (method.equals("GET") && path.equals("/v1/models")) {
        serveModels(exchange);
      } else if (chat) {
        serveChat(exchange, body);
      } else {
        sendError(exchange, 404, "FakeOpenAi serves no " + method + " " + path);
      }
    } catch (IOException e) {
      aborted.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serveModels(HttpExchange exchange) throws IOException {
    Failure failure = modelsFailure;
    if (failure != null) {
      sendError(exchange, failure.status(), failure.message());
      return;
    }
    ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
    var data = list.putArray("data");
    for (String id : models) {
      data.addObject().put("id", id).put("object", "model").put("created", created)
          .put("owned_by", "fake");
    }
    send(exchange, 200, list);
  }

  private void serveChat(HttpExchange exchange, ObjectNode request)
      throws IOException, InterruptedException {
    Turn turn = script.poll();
    if (turn == null) {
      int n = unscripted.incrementAndGet() + turns.get();
      sendError(exchange, 500, "FakeOpenAi: no scripted turn left for chat request #" + n
          + " (the test called the model more often than it scripted)");
      return;
    }
    turns.incrementAndGet();
    boolean stream = request.path("stream").asBoolean(false);
    String model = request.path("model").asString("fake-model");
    switch (turn) {
      case Failure failure -> sendError(exchange, failure.status(), failure.message());
      case Raw raw -> streamRaw(exchange, raw.contentType(), raw.writes());
      case Chunked chunked -> {
        List<ObjectNode> chunks = chunked.chunks().stream().map(ObjectNode::deepCopy).toList();
        if (chunked.stampModel()) {
          chunks.forEach(chunk -> chunk.put("model", model));
        }
        if (stream) {
          boolean usage = request.path("stream_options").path("include_usage").asBoolean(false);
          streamChunks(exchange, chunks, usage ? Optional.of(usageOf(chunks)) : Optional.empty());
        } else {
          send(exchange, 200, assemble(chunks, model));
        }
      }
    }
  }

  private void streamChunks(HttpExchange exchange, List<ObjectNode> chunks,
      Optional<ObjectNode> usage) throws IOException, InterruptedException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    for (ObjectNode chunk : chunks) {
      pause();
      write(out, "data: " + Json.MAPPER.writeValueAsString(chunk) + "\n\n");
    }
    if (usage.isPresent()) {
      String id = chunks.isEmpty() ? nextId() : chunks.getFirst().path("id").asString("");
      String model = chunks.isEmpty() ? "" : chunks.getFirst().path("model").asString("");
      pause();
      write(out, "data: " + Json.MAPPER.writeValueAsString(
          Chunks.usage(id, model, created, usage.get())) + "\n\n");
    }
    pause();
    write(out, "data: [DONE]\n\n");
    completed.incrementAndGet();
  }

  private void streamRaw(HttpExchange exchange, String contentType, List<String> writes)
      throws IOException, InterruptedException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    for (String piece : writes) {
      pause();
      write(out, piece);
    }
    completed.incrementAndGet();
  }

  private ObjectNode assemble(List<ObjectNode> chunks, String model) {
    ToolCallAccumulator turn = new ToolCallAccumulator();
    chunks.forEach(turn::add);
    String id = chunks.isEmpty() ? nextId() : chunks.getFirst().path("id").asString(nextId());
    ObjectNode message = turn.message();
    if (turn.hasToolCalls() && turn.content().isEmpty()) {
      message.putNull("content");
    }
    ObjectNode completion = Chunks.completion(id, model, created, message,
        turn.finishReason().orElse("stop"));
    completion.set("usage", turn.usage().orElseGet(() -> usageOf(chunks)));
    return completion;
  }

  private static ObjectNode usageOf(List<ObjectNode> chunks) {
    int completion = chunks.size();
    return Json.MAPPER.createObjectNode().put("prompt_tokens", 10)
        .put("completion_tokens", completion).put("total_tokens", 10 + completion);
  }

  private void pause() throws InterruptedException {
    Duration wait = delay;
    if (!wait.isZero()) {
      Thread.sleep(wait);
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void sendError(HttpExchange exchange, int status, String message)
      throws IOException {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putObject("error").put("message", message).put("type", "fake_error").put("code", status);
    send(exchange, status, body);
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static ObjectNode parse(byte[] bytes) {
    try {
      return bytes.length > 0 && Json.MAPPER.readTree(bytes) instanceof ObjectNode object
          ? object : Json.MAPPER.createObjectNode();
    } catch (JacksonException e) {
      return Json.MAPPER.createObjectNode();
    }
  }

  private String nextId() {
    return "chatcmpl-fake-" + (script.size() + turns.get() + 1);
  }

  private static ObjectNode delta(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0).get("delta");
  }

  /** Splits text into up to {@code parts} pieces, never inside a surrogate pair. */
  private static List<String> split(String text, int parts) {
    List<String> pieces = new ArrayList<>();
    int size = Math.max(1, (text.length() + parts - 1) / parts);
    int start = 0;
    while (start < text.length()) {
      int end = Math.min(text.length(), start + size);
      if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
        end++;
      }
      pieces.add(text.substring(start, end));
      start = end;
    }
    if (pieces.isEmpty()) {
      pieces.add("");
    }
    return pieces;
  }
}
