package dev.sandcastle.orchestrator.proxy;

import io.javalin.websocket.WsContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays accepted client WebSockets (Javalin's) to WebSockets on remote workspaces, one
 * {@link Link} per client socket: text and binary messages both ways, close codes and reasons
 * both ways (a 4004 from the workspace reaches the client as 4004), pings from the workspace
 * answered and passed on to the client, and each side closed when the other goes.
 *
 * <p>Flow control, so memory stays bounded per link whatever either side sends:
 * <ul>
 *   <li>workspace to client: the upstream socket reads with explicit demand, one frame at a time
 *       (messages are relayed frame by frame, never assembled), and asks for the next frame only
 *       once the client's write of the previous one has completed. A slow client therefore slows
 *       the workspace down through TCP instead of filling a queue here.
 *   <li>client to workspace: Javalin's socket demands automatically when its handler returns, so
 *       {@link Link#onClientText}/{@link Link#onClientBinary} block their caller (Javalin's
 *       handler thread for that socket) until the message is written upstream; that pauses the
 *       reading of the client's socket. Messages that arrive before the workspace socket is
 *       connected wait the same way (in the caller, not in a queue: a queue of zero) until it is
 *       connected or has failed (at most 16 s). Nothing is ever closed with 1013 for being too fast.
 *       The size of one client message is bounded by the client socket's own limits
 *       ({@code ctx.session.setMaxTextMessageSize}/{@code setMaxBinaryMessageSize}), which the caller sets.
 * </ul>
 *
 * <p>Liveness: every link pings its workspace socket every 30 s (so the workspace's idle timeout
 * does not end a quiet session) and closes both sides if the workspace has not answered anything
 * for three ping intervals while the link was waiting for it. The client side's idle timeout and
 * pings are the caller's ({@code ctx.session.setIdleTimeout}, {@code ctx.enableAutomaticPings}).
 *
 * <p>Close codes the client sees that the workspace did not send: {@value #CLOSE_UNREACHABLE}
 * when the workspace socket cannot be opened (connection refused, timed out, or the upgrade
 * refused), 1014 when the workspace connection broke without a close frame or stopped answering.
 *
 * <p>Thread-safe; one instance serves the whole server. Links are tracked here until either side
 * closes, so {@link #active()} never drifts.
 */
public final class WebSocketBridge implements AutoCloseable {
  /** Close code for "the workspace is unreachable", as the Terminals protocol uses it. */
  public static final int CLOSE_UNREACHABLE = 4003;
  private static final Logger log = LoggerFactory.getLogger(WebSocketBridge.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration UPGRADE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration PING_INTERVAL = Duration.ofSeconds(30);

  private final WebSocketClient client;
  private final Duration pingInterval;
  private final Map<String, Relay> links = new ConcurrentHashMap<>();
  private final AtomicLong errors = new AtomicLong();

  /** A bridge with a 5 s connect timeout and pings to the workspace every 30 s. */
  public WebSocketBridge() {
    this(PING_INTERVAL);
  }

  /** For tests: another ping interval. */
  WebSocketBridge(Duration pingInterval) {
    this.pingInterval = pingInterval;
    QueuedThreadPool threads = new QueuedThreadPool(64, 2);
    threads.setName("proxy-ws");
    threads.setDaemon(true);
    HttpClient http = new HttpClient();
    http.setExecutor(threads);
    http.setName("proxy-ws");
    http.setConnectTimeout(CONNECT_TIMEOUT.toMillis());
    client = new WebSocketClient(http);
    client.setStopAtShutdown(false);
    // Large enough for one frame relayed at a time; longer frames are split on arrival, so a
    // message of any length passes without being assembled.
    client.setMaxFrameSize(64 * 1024);
    client.setAutoFragment(true);
    // Our pings keep a healthy link busier than this; it ends a link whose writes are stuck.
    client.setIdleTimeout(pingInterval.multipliedBy(4));
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the WebSocket client", e);
    }
  }

  /**
   * Starts relaying the client socket {@code client} to the workspace socket at {@code path} on
   * {@code upstream}, and returns at once; the workspace socket connects in the background. The
   * upgrade carries {@code Authorization: Bearer <upstream key>}, the client's query with every
   * {@code token} value replaced by the upstream key, {@code X-Forwarded-*}, and the client's
   * {@code X-User-Id}, {@code X-Terminal-Context-Id} and {@code X-Session-Id} if it sent them.
   * Once connected, {@code firstMessages} are sent as text frames before anything from the client
   * (e.g. {@link #authMessage(Upstream)} for a terminal). If the workspace cannot be reached the
   * client is closed with {@value #CLOSE_UNREACHABLE}.
   *
   * <p>Call it from any thread, typically the client socket's connect or first-message handler,
   * after authenticating the client yourself. From then on route the client's events to the
   * returned link (or find it again with {@link #find}); the bridge owns the client's outgoing
   * data frames, so do not send data to the client yourself.
   *
   * @param path the upstream path, raw (percent-encoded), starting with '/', e.g.
   *     {@code "/api/terminals/" + ctx.pathParam("id")} or the handshake's path without the
   *     tenant prefix; the client's query string is appended (token replaced)
   * @throws IllegalArgumentException if the path cannot be forwarded
   * @throws IllegalStateException if this client socket already has a link
   */
  public Link open(WsContext client, Upstream upstream, String path, List<String> firstMessages) {
    return open(client, upstream, path, firstMessages, Optional.empty());
  }

  /**
   * Like {@link #open(WsContext, Upstream, String, List)}, offering the workspace the subprotocol
   * the client's socket was accepted with (a Jupyter channels socket speaking the binary protocol),
   * so both ends of the link speak the same one.
   */
  public Link open(WsContext client, Upstream upstream, String path, List<String> firstMessages, Optional<String> subprotocol) {
    // Javalin's copies of the handshake (query, headers): Jetty recycles the upgrade request itself.
    URI target = Forwarding.target(upstream, path, client.queryString(), true);
    Relay relay = new Relay(client.session, client.sessionId(), List.copyOf(firstMessages), pingInterval, this);
    if (links.putIfAbsent(client.sessionId(), relay) != null) {
      throw new IllegalStateException("this client socket is already bridged");
    }
    ClientUpgradeRequest upgrade = new ClientUpgradeRequest(target);
    upgrade.setTimeout(UPGRADE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    upgrade.setHeader("Authorization", "Bearer " + upstream.apiKey());
    subprotocol.ifPresent(protocol -> upgrade.setSubProtocols(protocol));
    for (String name : List.of("X-User-Id", "X-Terminal-Context-Id", "X-Session-Id")) {
      String value = client.header(name);
      if (value != null) {
        upgrade.setHeader(name, value);
      }
    }
    upgrade.setHeader("X-Forwarded-For", Forwarding.forwardedFor(client.header("X-Forwarded-For"),
        address(client.session.getRemoteSocketAddress())));
    upgrade.setHeader("X-Forwarded-Proto", client.session.isSecure() ? "https" : "http");
    String host = client.header("Host");
    if (host != null) {
      upgrade.setHeader("X-Forwarded-Host", host);
    }
    try {
      relay.connecting(this.client.connect(relay.listener(), upgrade));
    } catch (java.io.IOException | RuntimeException e) {
      relay.unreachable(e);
    }
    if (!client.session.isOpen()) {
      relay.onClientClose(1006, "");
    }
    return relay;
  }

  /** The live link of a client socket, if it has one; empty once either side has closed. */
  public Optional<Link> find(WsContext client) {
    return Optional.ofNullable(links.get(client.sessionId()));
  }

  /** Links currently open or connecting. */
  public int active() {
    return links.size();
  }

  /** Workspace sockets that could not be opened, broke without a close frame, or stopped answering. */
  public long errors() {
    return errors.get();
  }

  /** The first message a {@code sandcastle terminal} terminal socket expects: {@code {"type":"auth","token":"<upstream key>"}}. */
  public static String authMessage(Upstream upstream) {
    String key = upstream.apiKey().replace("\\", "\\\\").replace("\"", "\\\"");
    return "{\"type\":\"auth\",\"token\":\"" + key + "\"}";
  }

  /** Closes every link (1001 to both sides) and stops the WebSocket client. */
  @Override
  public void close() {
    for (Relay relay : links.values()) {
      relay.close(1001, "the server is shutting down");
    }
    try {
      client.stop();
      client.getHttpClient().stop();
    } catch (Exception e) {
      log.warn("stopping the WebSocket client: {}", e.toString());
    }
  }

  void closed(Relay relay, boolean failed) {
    links.remove(relay.clientId(), relay);
    if (failed) {
      errors.incrementAndGet();
    }
  }

  org.eclipse.jetty.util.thread.Scheduler scheduler() {
    return client.getHttpClient().getScheduler();
  }

  private static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
    }
    return String.valueOf(address);
  }

  /**
   * One bridged client socket. The orchestrator's Javalin WebSocket handlers call these for the
   * client's events; all are safe to call after the link has closed (they do nothing).
   */
  public sealed interface Link permits Relay {
    /**
     * Relays a text message from the client. Blocks the caller until the workspace socket is
     * connected (if it is not yet: at most 16 s, the connect and upgrade timeouts) and the message
     * is written to it. Call it from the client socket's message handler, so that the blocking
     * pauses the reading of the client's socket; with {@code config.concurrency.useVirtualThreads}
     * Javalin runs those handlers on virtual threads, so blocking costs no platform thread.
     */
    void onClientText(String message);

    /**
     * Relays a binary message from the client, like {@link #onClientText}. The bytes are copied,
     * so Javalin's buffer ({@code ctx.data()}) may be passed as it is.
     */
    void onClientBinary(ByteBuffer data);

    /**
     * The client socket closed (call it from its close handler, and from its error handler with
     * 1011): the workspace socket is closed with the same code and reason (1005 becomes 1000,
     * 1006 and other codes that cannot be sent become 1001). Does not block.
     */
    void onClientClose(int code, String reason);

    /** Closes both sides with this code and reason, e.g. when the tenant's workspace is stopped. Does not block. */
    void close(int code, String reason);
  }
}
