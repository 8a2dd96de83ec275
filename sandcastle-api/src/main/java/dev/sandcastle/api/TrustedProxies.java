package dev.sandcastle.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * The reverse proxies in front of the server whose {@code X-Forwarded-For} may name the client.
 * Behind a proxy every request comes from the proxy's address, so the sign-in throttle would
 * lock out everyone at once for one attacker's failures and the audit log would name the proxy.
 *
 * <p>The client is found the way a header that anyone can prepend to demands: walking the list
 * from the right (the hop nearest to us), skipping addresses of trusted proxies, the first address
 * that is not one is the client. A client that sends its own {@code X-Forwarded-For} only adds
 * entries to the left of the one its proxy appended, which are never reached. A request whose
 * direct peer is not trusted keeps the peer's address whatever its headers say; an entry that is
 * not an address literal (ports, names, "unknown") ends the walk at the hop before it. No name is
 * ever resolved. The RFC 7239 {@code Forwarded} header is not read. Immutable and thread-safe.
 */
public final class TrustedProxies {
  private static final int MAX_HOPS = 32;
  private static final TrustedProxies NONE = new TrustedProxies(List.of());

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = List.copyOf(ranges);
  }

  /** Trusts no one: the client is always the direct peer. */
  public static TrustedProxies none() {
    return NONE;
  }

  /**
   * Parses a comma-separated list of addresses and CIDR ranges ({@code 10.0.0.0/8},
   * {@code 127.0.0.1}, {@code fd00::/8}); blank is {@link #none()}.
   *
   * @throws IllegalArgumentException naming the entry that is not an address or range
   */
  public static TrustedProxies parse(String list) {
    List<Range> ranges = new ArrayList<>();
    for (String raw : list.split(",")) {
      String entry = raw.strip();
      if (!entry.isEmpty()) {
        Range range = Range.parse(entry);
        if (range.bits() == 0) {
          throw new IllegalArgumentException("'" + entry + "' trusts every address, so any client could name itself;"
              + " list the proxies' own addresses");
        }
        ranges.add(range);
      }
    }
    return ranges.isEmpty() ? NONE : new TrustedProxies(ranges);
  }

  /** Whether any proxy is trusted. */
  public boolean any() {
    return !ranges.isEmpty();
  }

  boolean trusts(InetAddress address) {
    for (Range range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The client of a request from {@code peer} carrying these {@code X-Forwarded-For} values (each
   * a comma-separated list, in the order the headers came).
   */
  InetAddress client(InetAddress peer, List<String> forwardedFor) {
    if (!trusts(peer)) {
      return peer;
    }
    List<String> hops = new ArrayList<>();
    for (String value : forwardedFor) {
      for (String hop : value.split(",")) {
        hops.add(hop.strip());
      }
    }
    InetAddress client = peer;
    for (int i = hops.size() - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
      Optional<InetAddress> hop = literal(hops.get(i));
      if (hop.isEmpty()) {
        return client;
      }
      client = hop.get();
      if (!trusts(client)) {
        return client;
      }
    }
    return client;
  }

  /** A Jetty customizer that makes each request's remote address its client's. */
  public HttpConfiguration.Customizer customizer() {
    return (request, responseHeaders) -> {
      if (!(request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress peer)
          || peer.getAddress() == null || !trusts(peer.getAddress())) {
        return request;
      }
      List<String> forwarded = request.getHeaders().getValuesList("X-Forwarded-For");
      if (forwarded.isEmpty()) {
        return request;
      }
      InetSocketAddress client = new InetSocketAddress(client(peer.getAddress(), forwarded), peer.getPort());
      ConnectionMetaData meta = new ConnectionMetaData.Wrapper(request.getConnectionMetaData()) {
        @Override
        public SocketAddress getRemoteSocketAddress() {
          return client;
        }
      };
      return new Request.Wrapper(request) {
        @Override
        public ConnectionMetaData getConnectionMetaData() {
          return meta;
        }
      };
    };
  }

  /** An address literal (IPv6 possibly in brackets); empty for anything else. Nothing is resolved. */
  static Optional<InetAddress> literal(String text) {
    String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (bare.isEmpty() || !bare.matches("[0-9A-Fa-f.:]+")) {
      return Optional.empty(); // never a name: nothing is resolved
    }
    try {
      return Optional.of(InetAddress.ofLiteral(bare));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return ranges.toString();
  }

  /** An address range: the first {@code bits} bits of {@code network}. */
  private record Range(byte[] network, int bits) {
    static Range parse(String entry) {
      int slash = entry.indexOf('/');
      String address = slash < 0 ? entry : entry.substring(0, slash);
      InetAddress parsed = literal(address)
          .orElseThrow(() -> new IllegalArgumentException("not an IP address or CIDR range: '" + entry + "'"));
      byte[] bytes = parsed.getAddress();
      int bits = bytes.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > bytes.length * 8) {
          throw new IllegalArgumentException("not a CIDR range: '" + entry + "' (the prefix length is 0-" + bytes.length * 8 + ")");
        }
      }
      return new Range(bytes, bits);
    }

    boolean contains(InetAddress address) {
      byte[] candidate = address.getAddress();
      if (candidate.length != network.length) {
        return false; // IPv4 ranges hold IPv4 addresses (Java gives IPv4-mapped peers as IPv4)
      }
      for (int bit = 0; bit < bits; bit += 8) {
        int mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
        if ((candidate[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      try {
        return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
