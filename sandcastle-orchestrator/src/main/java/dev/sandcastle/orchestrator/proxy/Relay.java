package dev.sandcastle.orchestrator.proxy;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client socket bridged to one workspace socket: the {@link WebSocketBridge.Link} the
 * client's handlers call, and the target of the workspace socket's {@link UpstreamSocketListener}
 * (explicit demand: it asks for the next frame only when the client has taken the last one).
 *
 * <p>Threads: the listener methods run on the WebSocket client's threads and never block; the
 * {@code onClient*} methods run on the client socket's handler thread and block while the
 * workspace socket takes the message; the ping task runs on the client's scheduler thread.
 */
final class Relay implements WebSocketBridge.Link {
  private static final Logger log = LoggerFactory.getLogger(Relay.class);
  private static final Duration WAIT_FOR_UPSTREAM = Duration.ofSeconds(16);
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final Session client;
  private final String clientId;
  private final List<String> firstMessages;
  private final Duration pingInterval;
  private final WebSocketBridge bridge;
  /** Completes with the workspace socket once it is open and the first messages are queued; fails when the link ends first. */
  private final CompletableFuture<Session> ready = new CompletableFuture<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean upstreamPingPending = new AtomicBoolean();
  private final AtomicBoolean clientPingPending = new AtomicBoolean();
  private volatile Session upstream;
  private volatile CompletableFuture<Session> connect;
  /** The close to send the workspace socket if the client left before it connected. */
  private volatile int pendingCode = 1001;
  private volatile String pendingReason = "";
  /** The client message being written upstream, failed when the link ends so its sender stops waiting. */
  private volatile Callback.Completable inFlight;
  private volatile Scheduler.Task pingTask;
  /** When a frame last came from the workspace, or when we last started waiting for one. */
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean awaiting;

  Relay(Session client, String clientId, List<String> firstMessages, Duration pingInterval, WebSocketBridge bridge) {
    this.client = client;
    this.clientId = clientId;
    this.firstMessages = firstMessages;
    this.pingInterval = pingInterval;
    this.bridge = bridge;
  }

  String clientId() {
    return clientId;
  }

  void connecting(CompletableFuture<Session> future) {
    connect = future;
    future.whenComplete((session, failure) -> {
      if (failure != null) {
        unreachable(failure);
      }
    });
    if (closed.get()) {
      future.cancel(true);
    }
  }

  /** The workspace socket could not be opened. */
  void unreachable(Throwable failure) {
    log.debug("workspace socket failed to open: {}", failure.toString());
    if (closed.compareAndSet(false, true)) {
      end(true);
      client.close(WebSocketBridge.CLOSE_UNREACHABLE, "the workspace is unreachable", Callback.NOOP);
    }
  }

  // ---- the client side (Javalin's handler thread for this socket) ----

  @Override
  public void onClientText(String message) {
    toUpstream((session, callback) -> session.sendText(message, callback));
  }

  @Override
  public void onClientBinary(ByteBuffer data) {
    // A copy, because the wait below may end (the link closing) before Jetty is done with the
    // bytes, and the caller's buffer is recycled once its handler returns.
    ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip();
    toUpstream((session, callback) -> session.sendBinary(copy, callback));
  }

  private void toUpstream(BiConsumer<Session, Callback> send) {
    Session session = awaitUpstream();
    if (session == null) {
      return;
    }
    Callback.Completable done = new Callback.Completable();
    inFlight = done;
    try {
      if (closed.get()) {
        return;
      }
      send.accept(session, done);
      done.get();
    } catch (ExecutionException | CancellationException e) {
      // the workspace socket is failing or the link ended; its close ends the link
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      inFlight = null;
    }
  }

  private Session awaitUpstream() {
    if (closed.get()) {
      return null;
    }
    try {
      return ready.get(WAIT_FOR_UPSTREAM.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      unreachable(e);
      return null;
    } catch (ExecutionException | CancellationException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void onClientClose(int code, String reason) {
    int relayed = switch (code) {
      case 1005 -> 1000;
      default -> transmittable(code) ? code : 1001;
    };
    String text = relayed == code ? reason : (relayed == 1000 ? "" : "the client went away");
    closeUpstream(relayed, text == null ? "" : text);
  }

  @Override
  public void close(int code, String reason) {
    if (closed.compareAndSet(false, true)) {
      end(false);
      client.close(code, reason, Callback.NOOP);
      upstreamClose(code, reason);
    }
  }

  private void closeUpstream(int code, String reason) {
    if (closed.compareAndSet(false, true)) {
      end(false);
      upstreamClose(code, reason);
    }
  }

  private void upstreamClose(int code, String reason) {
    pendingCode = code;
    pendingReason = reason;
    Session session = upstream;
    if (session != null) {
      session.close(code, reason, Callback.NOOP);
    } else {
      CompletableFuture<Session> future = connect;
      if (future != null) {
        future.cancel(true);
      }
    }
  }

  private void closeClient(int code, String reason, boolean failed) {
    if (closed.compareAndSet(false, true)) {
      end(failed);
      client.close(code, reason, Callback.NOOP);
    }
  }

  /** Bookkeeping once the link is over: forgotten by the bridge, no more pings, nobody left waiting. */
  private void end(boolean failed) {
    bridge.closed(this, failed);
    Scheduler.Task task = pingTask;
    if (task != null) {
      task.cancel();
    }
    ready.completeExceptionally(new ClosedChannelException());
    Callback.Completable pending = inFlight;
    if (pending != null) {
      pending.completeExceptionally(new ClosedChannelException());
    }
  }

  // ---- the workspace side (WebSocket client threads; never block) ----

  UpstreamSocketListener listener() {
    return new UpstreamSocketListener(this);
  }

  void upstreamOpened(Session session) {
    upstream = session;
    if (closed.get()) {
      session.close(pendingCode, pendingReason, Callback.NOOP);
      return;
    }
    for (String message : firstMessages) {
      session.sendText(message, Callback.NOOP); // queued in order; a failure closes the socket
    }
    ready.complete(session);
    schedulePing();
    demand();
  }

  void upstreamText(String payload, boolean fin) {
    heard();
    client.sendPartialText(payload, fin, Callback.from(this::demand, this::clientWriteFailed));
  }

  void upstreamBinary(ByteBuffer payload, boolean fin, Callback callback) {
    heard();
    client.sendPartialBinary(payload, fin, Callback.from(() -> {
      callback.succeed();
      demand();
    }, failure -> {
      callback.fail(failure);
      clientWriteFailed(failure);
    }));
  }

  void upstreamPing(ByteBuffer payload) {
    heard();
    Session session = upstream;
    if (clientPingPending.compareAndSet(false, true)) {
      // Passed on so the client's connection sees the keep-alive too; at most one in flight.
      client.sendPing(payload.duplicate(), Callback.from(() -> clientPingPending.set(false), failure -> clientPingPending.set(false)));
    }
    session.sendPong(payload.duplicate(), Callback.from(this::demand, failure -> demand()));
  }

  void upstreamPong() {
    heard();
    demand();
  }

  void upstreamClosed(int code, String reason) {
    boolean lost = !transmittable(code);
    closeClient(lost ? 1014 : code, lost ? "the connection to the workspace was lost" : reason == null ? "" : reason, lost);
  }

  void upstreamFailed(Throwable cause) {
    log.debug("workspace socket error: {}", cause.toString());
    if (ready.isDone() && !ready.isCompletedExceptionally()) {
      closeClient(1014, "the connection to the workspace failed", true);
    }
    // before the socket opened, the connect future reports the failure
  }

  private void clientWriteFailed(Throwable failure) {
    log.debug("client socket write failed: {}", failure.toString());
    closeUpstream(1001, "the client went away");
  }

  private void heard() {
    awaiting = false;
    lastHeard = System.nanoTime();
  }

  private void demand() {
    Session session = upstream;
    if (session != null && !closed.get()) {
      lastHeard = System.nanoTime();
      awaiting = true;
      session.demand();
    }
  }

  private void schedulePing() {
    if (!closed.get()) {
      pingTask = bridge.scheduler().schedule(this::ping, pingInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Keeps a quiet workspace socket alive, and ends a link whose workspace stopped answering. */
  private void ping() {
    Session session = upstream;
    if (closed.get() || session == null) {
      return;
    }
    if (awaiting && System.nanoTime() - lastHeard > pingInterval.multipliedBy(3).toNanos()) {
      session.disconnect();
      closeClient(1014, "the workspace stopped answering", true);
      return;
    }
    if (upstreamPingPending.compareAndSet(false, true)) {
      session.sendPing(EMPTY.duplicate(), Callback.from(() -> upstreamPingPending.set(false), failure -> upstreamPingPending.set(false)));
    }
    schedulePing();
  }

  private static boolean transmittable(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }
}
