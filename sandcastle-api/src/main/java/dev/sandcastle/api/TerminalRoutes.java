package dev.sandcastle.api;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.pty.Attachment;
import dev.sandcastle.core.pty.TerminalClient;
import dev.sandcastle.core.pty.TerminalEnd;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;
import io.javalin.websocket.WsBinaryMessageContext;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Interactive terminals: REST routes to open, list and close them, and the WebSocket that
 * carries a terminal's keystrokes and output.
 *
 * <p>WebSocket protocol ({@code /api/terminals/{id}}): the upgrade itself carries no credentials
 * (browsers cannot set headers on it); the first message must be the text frame
 * {@code {"type":"auth","token":"<API key>"}} within 10 s, else the server closes with 4001. Then
 * an unknown terminal closes with 4004; a known one sends its recent scrollback and then live
 * output as binary frames. Binary frames from the client are keystrokes; the text frame
 * {@code {"type":"resize","cols":C,"rows":R}} resizes the terminal (even at the same size it
 * makes a full-screen program redraw, so a client sends one after attaching); other text frames
 * are typed as text. Any number of clients may attach to one terminal. When the shell exits, every client
 * gets close code 1000 with the reason {@code {"exit_code":N,"signal":S}}. A terminal whose
 * clients all left stays open for the grace period, waiting for a reconnect.
 */
final class TerminalRoutes {
  static final String PATH = "/api/terminals";
  static final String TERMINAL_PATH = "/api/terminals/{id}";
  static final int CLOSE_AUTH = 4001;
  static final int CLOSE_NOT_FOUND = 4004;
  private static final int CLOSE_NORMAL = 1000;
  private static final long AUTH_TIMEOUT_SECONDS = 10;
  /** Largest message a client may send (a paste); bigger ones close the socket with 1009. */
  private static final int MAX_MESSAGE = 64 << 10;
  private static final int MAX_SIZE = 1000;
  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);
  private static final long PING_SECONDS = 30;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Workspaces workspaces;
  private final Access auth;
  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  /** Sockets that have not authenticated yet (bounded). */
  private final WaitingSockets unauthenticated = new WaitingSockets(java.time.Duration.ofSeconds(AUTH_TIMEOUT_SECONDS));

  TerminalRoutes(Workspaces workspaces, Access auth) {
    this.workspaces = workspaces;
    this.auth = auth;
  }

  void register(Router r) {
    r.post(PATH, ctx -> {
      Workspace ws = workspaces.of(ctx);
      ctx.json(ws.terminals().create(ws.cwd(Params.session(ctx))));
    });
    r.get(PATH, ctx -> ctx.json(workspaces.of(ctx).terminals().list()));
    r.get(TERMINAL_PATH, ctx -> ctx.json(workspaces.of(ctx).terminals().get(ctx.pathParam("id"))));
    r.delete(TERMINAL_PATH, ctx -> {
      workspaces.of(ctx).terminals().close(ctx.pathParam("id"));
      ctx.json(Map.of("status", "deleted"));
    });
    r.ws(TERMINAL_PATH, ws -> {
      ws.onConnect(this::connected);
      ws.onMessage(this::text);
      ws.onBinaryMessage(this::binary);
      ws.onClose(ctx -> closed(ctx));
      ws.onError(ctx -> closed(ctx));
    });
  }

  private void connected(WsConnectContext ctx) {
    ctx.session.setMaxTextMessageSize(MAX_MESSAGE);
    ctx.session.setMaxBinaryMessageSize(MAX_MESSAGE);
    ctx.session.setIdleTimeout(IDLE_TIMEOUT);
    ctx.enableAutomaticPings(PING_SECONDS, TimeUnit.SECONDS);
    Connection connection = new Connection(ctx.session, ctx.pathParam("id"));
    connections.put(ctx.sessionId(), connection);
    unauthenticated.admit(ctx, () -> connection.refuse(CLOSE_AUTH,
        "authentication timed out: send {\"type\":\"auth\",\"token\":\"<API key>\"} first"));
  }

  private void text(WsMessageContext ctx) {
    Connection connection = connections.get(ctx.sessionId());
    if (connection == null) {
      return;
    }
    String message = ctx.message();
    JsonNode control = control(message);
    if (!connection.attached()) {
      unauthenticated.release(ctx.sessionId());
      String token = Access.authMessageToken(message).orElse(null);
      if (token == null) {
        connection.refuse(CLOSE_AUTH, "authenticate first: send {\"type\":\"auth\",\"token\":\"<API key>\"}");
        return;
      }
      // Authenticate before resolving: an unauthenticated socket must never provision a workspace.
      Handshake upgrade = ctx.attribute(Handshake.ATTRIBUTE);
      Workspace workspace;
      try {
        upgrade.closeWith(ctx::closeSession);
        auth.checkSocket(upgrade, java.util.Optional.of(token));
        connection.authenticated(upgrade); // from here on, its close is reported to auth
        workspace = workspaces.of(upgrade);
      } catch (SocketRefused e) {
        connection.refuse(e.code(), e.getMessage());
        return;
      } catch (SandcastleException e) {
        connection.refuse(SocketRefused.IDENTITY, e.getMessage());
        return;
      }
      connection.attach(workspace);
      return;
    }
    if (control == null) {
      connection.input(message.getBytes(StandardCharsets.UTF_8));
    } else if ("resize".equals(control.path("type").asString(""))) {
      int cols = control.path("cols").asInt(0);
      int rows = control.path("rows").asInt(0);
      if (cols >= 1 && cols <= MAX_SIZE && rows >= 1 && rows <= MAX_SIZE) {
        connection.resize(cols, rows);
      }
    }
    // other control messages (a repeated auth, say) are ignored
  }

  private void binary(WsBinaryMessageContext ctx) {
    Connection connection = connections.get(ctx.sessionId());
    if (connection == null) {
      return;
    }
    if (!connection.attached()) {
      connection.refuse(CLOSE_AUTH, "authenticate first: send {\"type\":\"auth\",\"token\":\"<API key>\"}");
      return;
    }
    ByteBuffer data = ctx.data();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    connection.input(bytes);
  }

  private void closed(WsContext ctx) {
    unauthenticated.release(ctx.sessionId());
    Connection connection = connections.remove(ctx.sessionId());
    if (connection != null) {
      connection.detach();
      connection.upgrade().ifPresent(auth::socketClosed);
    }
  }

  /** A JSON object with a string "type", or null for anything else (text typed into the terminal). */
  private static JsonNode control(String message) {
    if (message.isEmpty() || message.charAt(0) != '{') {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(message);
      return node.isObject() && node.path("type").isString() ? node : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** One WebSocket: waiting for its auth message, then attached to a terminal, then closed. */
  private static final class Connection implements TerminalClient {
    private static final int WAITING = 0;
    private static final int ATTACHED = 1;
    private static final int CLOSED = 2;

    private final Session session;
    private final String terminalId;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private volatile Attachment attachment;
    private volatile Handshake upgrade;

    Connection(Session session, String terminalId) {
      this.session = session;
      this.terminalId = terminalId;
    }

    void authenticated(Handshake handshake) {
      upgrade = handshake;
    }

    /** The handshake of a socket that passed authentication. */
    java.util.Optional<Handshake> upgrade() {
      return java.util.Optional.ofNullable(upgrade);
    }

    boolean attached() {
      return state.get() == ATTACHED;
    }

    /** Closes a connection that has not authenticated (yet); no-op once attached. */
    void refuse(int code, String reason) {
      if (state.compareAndSet(WAITING, CLOSED)) {
        session.close(code, reason, Callback.NOOP);
      }
    }

    void attach(Workspace workspace) {
      Attachment attached;
      try {
        attached = workspace.terminals().attach(terminalId, this);
      } catch (NotFound e) {
        refuse(CLOSE_NOT_FOUND, "no terminal with this id");
        return;
      }
      attachment = attached;
      if (!state.compareAndSet(WAITING, ATTACHED)) {
        attached.detach(); // timed out meanwhile
      }
    }

    void input(byte[] data) {
      Attachment current = attachment;
      if (current != null) {
        current.input(data);
      }
    }

    void resize(int cols, int rows) {
      Attachment current = attachment;
      if (current != null) {
        current.resize(cols, rows);
      }
    }

    void detach() {
      state.set(CLOSED);
      Attachment current = attachment;
      if (current != null) {
        current.detach();
      }
    }

    @Override
    public void send(ByteBuffer output, Runnable sent, Runnable failed) {
      session.sendBinary(output, Callback.from(sent, error -> failed.run()));
    }

    @Override
    public void ended(TerminalEnd end) {
      state.set(CLOSED);
      session.close(CLOSE_NORMAL, "{\"exit_code\":" + end.exitCode() + ",\"signal\":" + end.signal() + "}", Callback.NOOP);
    }
  }
}
