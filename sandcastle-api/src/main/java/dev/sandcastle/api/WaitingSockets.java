package dev.sandcastle.api;

import io.javalin.websocket.WsConnectContext;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * WebSockets that are open but have not sent their first (authenticating) message yet. Each such
 * socket costs the server a connection and a timer before anyone knows who opened it, so they are
 * bounded: in all, and per client (an IPv4 address, or an IPv6 /64, as the handshake gives it,
 * which honours {@link TrustedProxies}).
 *
 * <p>A bound is never a refusal of the newcomer: the oldest waiting socket of that client (or,
 * when all are taken, of the client with the most waiting) is closed to make room. Refusing would
 * let one client that opens sockets and never authenticates lock everyone else out, all the more
 * behind a proxy that is not trusted, where every user shares one address; closing the oldest
 * costs a real user nothing, as a real client sends its first message at once and stops waiting.
 * A socket waits at most the given time. Thread-safe.
 */
public final class WaitingSockets {
  /** Sockets waiting at once, in all. */
  public static final int MAX = 256;
  /** Sockets waiting at once from one client. */
  public static final int MAX_PER_CLIENT = 16;
  /** Close code of a socket closed to make room (1013: try again later). */
  static final int EVICTED = 1013;

  private record Waiting(String client, Runnable close) {}

  private final Map<String, Waiting> waiting = new LinkedHashMap<>(); // session id -> who and how to close; oldest first
  private final int max;
  private final int maxPerClient;
  private final Duration timeout;

  /** @param timeout how long a socket may wait for its first message */
  public WaitingSockets(Duration timeout) {
    this(MAX, MAX_PER_CLIENT, timeout);
  }

  WaitingSockets(int max, int maxPerClient, Duration timeout) {
    this.max = max;
    this.maxPerClient = maxPerClient;
    this.timeout = timeout;
  }

  /**
   * Lets a just-connected socket wait for its first message, closing another waiting socket when a
   * bound is reached. When it is still waiting after the timeout, {@code onTimeout} runs (it
   * should close the socket, saying how to authenticate).
   */
  public void admit(WsConnectContext ctx, Runnable onTimeout) {
    Handshake handshake = ctx.attribute(Handshake.ATTRIBUTE);
    String address = handshake != null ? handshake.remoteAddress() : String.valueOf(ctx.session.getRemoteSocketAddress());
    admit(ctx.sessionId(), address, () -> ctx.closeSession(EVICTED,
        "too many connections are waiting to authenticate; this one waited longest; connect again and authenticate at once"))
        .ifPresent(Runnable::run);
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (release(ctx.sessionId())) {
        onTimeout.run();
      }
    });
  }

  /** Admits a socket; returns how to close the one it displaced, if any (called outside the lock). */
  synchronized Optional<Runnable> admit(String sessionId, String address, Runnable close) {
    String client = client(address);
    Optional<String> evict = Optional.empty();
    Map<String, Long> perClient = waiting.values().stream().collect(Collectors.groupingBy(Waiting::client, Collectors.counting()));
    if (perClient.getOrDefault(client, 0L) >= maxPerClient) {
      evict = oldestOf(client);
    } else if (waiting.size() >= max) {
      String busiest = perClient.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()).map(Map.Entry::getKey).orElseThrow();
      evict = oldestOf(busiest);
    }
    Optional<Runnable> closing = evict.map(waiting::remove).map(Waiting::close);
    waiting.put(sessionId, new Waiting(client, close));
    return closing;
  }

  private Optional<String> oldestOf(String client) {
    return waiting.entrySet().stream().filter(e -> e.getValue().client().equals(client)).map(Map.Entry::getKey).findFirst();
  }

  /** An IPv4 address as it is; an IPv6 address by its /64 (one host's usual share); anything else as given. */
  static String client(String address) {
    Optional<InetAddress> literal = TrustedProxies.literal(address.replaceFirst("%[^\\]]*", "")); // without an IPv6 zone
    if (literal.isEmpty() || literal.get().getAddress().length == 4) {
      return literal.map(InetAddress::getHostAddress).orElse(address);
    }
    byte[] bytes = literal.get().getAddress();
    java.util.Arrays.fill(bytes, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // 16 bytes are always an address
    }
  }


  /**
   * The socket stops waiting: its first message arrived, or it closed.
   *
   * @return whether it was waiting (false: it timed out or was displaced meanwhile)
   */
  public synchronized boolean release(String sessionId) {
    return waiting.remove(sessionId) != null;
  }

  /** How many sockets wait now. */
  public synchronized int size() {
    return waiting.size();
  }

  /** How many sockets of a client wait now (for tests). */
  synchronized long waitingFrom(String address) {
    String client = client(address);
    return waiting.values().stream().filter(w -> w.client().equals(client)).count();
  }
}
