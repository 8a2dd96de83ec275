package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.interpreter.openai.SseWriter;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAI-compatible endpoints: {@code GET /v1/models} and {@code POST /v1/chat/completions}
 * (server-sent events with {@code "stream": true}, one JSON answer otherwise). Authentication has
 * happened before (the caller is a user); {@code callers} finds the user's workspace.
 */
public final class ChatRoutes {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ChatService chat;
  private final ChatTenants tenants;
  private final OutputLinks links;
  private final dev.sandcastle.interpreter.engine.PyodideBroker broker;
  private final Map<String, dev.sandcastle.interpreter.engine.PyodideBroker.Registration> pages = new java.util.concurrent.ConcurrentHashMap<>();
  /** Page sockets that have not authenticated yet; capped, and closed after 10 s. */
  private final dev.sandcastle.api.WaitingSockets waiting = new dev.sandcastle.api.WaitingSockets(java.time.Duration.ofSeconds(10));
  private static final int MAX_PAGE_MESSAGE = 32 << 20;

  public ChatRoutes(ChatService chat, ChatTenants tenants, OutputLinks links, dev.sandcastle.interpreter.engine.PyodideBroker broker) {
    this.chat = chat;
    this.tenants = tenants;
    this.links = links;
    this.broker = broker;
  }

  /** Paths that carry their own proof (a signed link) instead of credentials. */
  public static boolean isSignedPath(String path) {
    return path.startsWith(OutputLinks.PREFIX);
  }

  public void register(RoutesConfig r) {
    r.get("/v1/models", ctx -> {
      List<Map<String, Object>> data = new ArrayList<>();
      for (var model : chat.models()) {
        data.add(Map.of("id", model.id(), "object", "model", "created", 0, "owned_by", model.ownedBy()));
      }
      ctx.json(Map.of("object", "list", "data", data));
    });
    r.post("/v1/chat/completions", ctx -> stream(ctx, chat::complete));
    r.post("/v1/code/execute", ctx -> stream(ctx, chat::run));
    r.get(OutputLinks.PREFIX + "{token}/{name}", this::output);
    r.wsBeforeUpgrade("/v1/pyodide", ctx -> ctx.attribute(dev.sandcastle.api.Handshake.ATTRIBUTE, dev.sandcastle.api.Handshake.of(ctx)));
    r.ws("/v1/pyodide", ws -> {
      ws.onConnect(ctx -> {
        ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(10));
        ctx.session.setMaxTextMessageSize(MAX_PAGE_MESSAGE); // results carry images
        ctx.enableAutomaticPings(30, java.util.concurrent.TimeUnit.SECONDS);
        waiting.admit(ctx, () -> ctx.closeSession(dev.sandcastle.api.SocketRefused.AUTH,
            "authentication timed out: send {\"type\":\"auth\",\"token\":\"<token>\"} first"));
      });
      ws.onMessage(ctx -> {
        var page = pages.get(ctx.sessionId());
        if (page != null) {
          page.received(ctx.message());
          return;
        }
        if (!waiting.release(ctx.sessionId())) {
          return; // timed out or refused meanwhile
        }
        dev.sandcastle.api.Handshake handshake = ctx.attribute(dev.sandcastle.api.Handshake.ATTRIBUTE);
        handshake.closeWith(ctx::closeSession);
        try {
          String user = tenants.authenticate(handshake, dev.sandcastle.api.Access.authMessageToken(ctx.message()));
          pages.put(ctx.sessionId(), broker.register(user, text -> {
            synchronized (ctx) { // the broker may send from several runs at once
              ctx.send(text);
            }
          }));
          ctx.send(JSON.createObjectNode().put("type", "ready").toString());
        } catch (dev.sandcastle.api.SocketRefused e) {
          ctx.closeSession(e.code(), e.getMessage());
        }
      });
      ws.onClose(ctx -> pageClosed(ctx));
      ws.onError(ctx -> pageClosed(ctx));
    });
  }

  private void pageClosed(io.javalin.websocket.WsContext ctx) {
    waiting.release(ctx.sessionId());
    var page = pages.remove(ctx.sessionId());
    if (page != null) {
      page.close();
      tenants.closed(ctx.attribute(dev.sandcastle.api.Handshake.ATTRIBUTE));
    }
  }

  /** A file behind a signed link, served as untrusted content (sandboxed, never sniffed). */
  private void output(Context ctx) {
    String name = ctx.pathParam("name");
    OutputLinks.Owner owner = links.verify(ctx.pathParam("token"), name)
        .orElseThrow(() -> new dev.sandcastle.core.errors.NotFound("no such output, or the link has expired"));
    if (!name.matches("[A-Za-z0-9_.-]{1,200}") || name.startsWith(".")) {
      throw new dev.sandcastle.core.errors.NotFound("no such output");
    }
    var workspace = tenants.workspace(owner).orElseThrow(() -> new dev.sandcastle.core.errors.NotFound("no such output"));
    var file = workspace.files().openRaw("~/" + OutputStore.FOLDER + "/" + name, workspace.home());
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Content-Security-Policy", "sandbox");
    ctx.header("Cache-Control", "private, max-age=3600");
    ctx.header("Content-Length", Long.toString(file.size()));
    ctx.contentType(file.mimeType()).result(file.stream());
  }

  /** What answers a request: a completion, or a re-run of code. */
  private interface Answer {
    void answer(ObjectNode body, ChatCaller caller, ChatSink sink) throws InterruptedException;
  }

  /** Answers as an event stream when the body asks for {@code "stream": true}, else as one JSON completion. */
  private void stream(Context ctx, Answer answer) throws InterruptedException {
    ObjectNode body;
    try {
      if (!(JSON.readTree(ctx.body()) instanceof ObjectNode object)) {
        throw new BadRequest("the request body must be a JSON object");
      }
      body = object;
    } catch (JacksonException e) {
      throw new BadRequest("invalid JSON body: " + e.getOriginalMessage());
    }
    ChatCaller caller = tenants.caller(ctx);
    if (!body.path("stream").asBoolean(false)) {
      Collector collector = new Collector();
      answer.answer(body, caller, collector::add);
      ctx.json(collector.completion());
      return;
    }
    ctx.contentType("text/event-stream; charset=utf-8");
    ctx.header("Cache-Control", "no-cache");
    ctx.header("X-Accel-Buffering", "no");
    SseWriter writer;
    try {
      writer = new SseWriter(ctx.res().getOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    boolean[] started = new boolean[1];
    try {
      answer.answer(body, caller, chunk -> {
        started[0] = true;
        writer.data(chunk);
      });
    } catch (SandcastleException e) {
      if (!started[0]) {
        throw e; // nothing went out yet: a normal problem response
      }
      streamError(writer, e.getMessage(), e.kind());
    } catch (RuntimeException e) {
      if (!started[0]) {
        throw e;
      }
      org.slf4j.LoggerFactory.getLogger(ChatRoutes.class).error("chat completion failed mid-stream", e);
      streamError(writer, "internal error; the server log has the details", "internal");
    }
    writer.done();
  }

  /** OpenAI's way of reporting an error inside an event stream. */
  private static void streamError(SseWriter writer, String message, String type) {
    ObjectNode error = JSON.createObjectNode();
    error.putObject("error").put("message", message).put("type", type);
    writer.data(error);
  }

  /** Assembles a whole completion from the chunks of one answer (for "stream": false). */
  static final class Collector {
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final ArrayNode toolCalls = JSON.createArrayNode();
    private JsonNode executions = JSON.createArrayNode();
    private String id = "";
    private String model = "";
    private long created;
    private String finish = "stop";

    void add(ObjectNode chunk) {
      id = chunk.path("id").asString(id);
      model = chunk.path("model").asString(model);
      created = chunk.path("created").asLong(created);
      JsonNode choice = chunk.path("choices").path(0);
      JsonNode delta = choice.path("delta");
      content.append(delta.path("content").asString(""));
      reasoning.append(delta.path("reasoning_content").asString(""));
      delta.path("tool_calls").forEach(call -> {
        ObjectNode copy = ((ObjectNode) call).deepCopy();
        copy.remove("index");
        toolCalls.add(copy);
      });
      if (choice.path("finish_reason").isString()) {
        finish = choice.path("finish_reason").asString();
      }
      JsonNode event = chunk.path("sandcastle");
      if ("executions".equals(event.path("type").asString(""))) {
        executions = event.path("executions");
      }
    }

    Map<String, Object> completion() {
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", "assistant");
      message.put("content", content.toString());
      if (!reasoning.isEmpty()) {
        message.put("reasoning_content", reasoning.toString());
      }
      if (!toolCalls.isEmpty()) {
        message.put("tool_calls", toolCalls);
      }
      message.put("executions", executions);
      Map<String, Object> choice = new LinkedHashMap<>();
      choice.put("index", 0);
      choice.put("message", message);
      choice.put("finish_reason", finish);
      Map<String, Object> completion = new LinkedHashMap<>();
      completion.put("id", id);
      completion.put("object", "chat.completion");
      completion.put("created", created);
      completion.put("model", model);
      completion.put("choices", List.of(choice));
      return completion;
    }
  }
}
