package dev.sandcastle.api;

import io.javalin.websocket.WsConnectContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * WebSockets that are open but have not sent their first (authenticating) message yet. Each such
 * socket costs the server a connection and a timer before anyone knows who opened it, so they are
 * bounded: in all, so that unauthenticated clients cannot pile up, and per client address, so that
 * one client cannot take the whole budget from everyone else (the address is the handshake's,
 * which honours {@link TrustedProxies}). A socket waits at most the given time. Thread-safe.
 */
public final class WaitingSockets {
  /** Sockets waiting at once, in all. */
  public static final int MAX = 256;
  /** Sockets waiting at once from one client address. */
  public static final int MAX_PER_ADDRESS = 16;

  private final Map<String, String> waiting = new ConcurrentHashMap<>(); // session id -> client address
  private final int max;
  private final int maxPerAddress;
  private final Duration timeout;

  /** @param timeout how long a socket may wait for its first message */
  public WaitingSockets(Duration timeout) {
    this(MAX, MAX_PER_ADDRESS, timeout);
  }

  WaitingSockets(int max, int maxPerAddress, Duration timeout) {
    this.max = max;
    this.maxPerAddress = maxPerAddress;
    this.timeout = timeout;
  }

  /**
   * Lets a just-connected socket wait for its first message, or closes it with 1013 (try again
   * later) when a bound is reached. When it is still waiting after the timeout, {@code onTimeout}
   * runs (it should close the socket, saying how to authenticate).
   *
   * @return whether the socket may wait
   */
  public boolean admit(WsConnectContext ctx, Runnable onTimeout) {
    Handshake handshake = ctx.attribute(Handshake.ATTRIBUTE);
    String address = handshake != null ? handshake.remoteAddress() : String.valueOf(ctx.session.getRemoteSocketAddress());
    String refusal = admit(ctx.sessionId(), address);
    if (refusal != null) {
      ctx.closeSession(1013, refusal);
      return false;
    }
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (release(ctx.sessionId())) {
        onTimeout.run();
      }
    });
    return true;
  }

  /** Null when admitted, else why not. */
  synchronized String admit(String sessionId, String address) {
    if (waiting.size() >= max) {
      return "too many connections waiting to authenticate; try again later";
    }
    if (waiting.values().stream().filter(address::equals).count() >= maxPerAddress) {
      return "too many of your connections are waiting to authenticate; try again later";
    }
    waiting.put(sessionId, address);
    return null;
  }

  /**
   * The socket stops waiting: its first message arrived, or it closed.
   *
   * @return whether it was waiting (false: it timed out or was refused meanwhile)
   */
  public boolean release(String sessionId) {
    return waiting.remove(sessionId) != null;
  }

  /** How many sockets wait now. */
  public int size() {
    return waiting.size();
  }
}
