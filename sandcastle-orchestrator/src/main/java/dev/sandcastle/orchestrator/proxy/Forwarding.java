package dev.sandcastle.orchestrator.proxy;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What changes on the way through the proxy: hop-by-hop headers, credentials, the target URI. Pure functions. */
final class Forwarding {
  /**
   * Headers that describe one connection, not the message (RFC 9110 section 7.6.1), plus the
   * non-standard Proxy-Connection: never forwarded in either direction.
   */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection");

  /**
   * Request headers the proxy sets itself: the target's Host, the upstream's credentials, the
   * body's length (from the body it forwards), Expect (this server already answered it), and the
   * forwarding headers.
   */
  private static final Set<String> REPLACED_IN_REQUEST = Set.of("host", "authorization", "content-length", "expect",
      "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host");

  private Forwarding() {}

  /** The header names a message's Connection headers list (lower case); they are hop-by-hop too. */
  static Set<String> connectionTokens(List<String> connectionValues) {
    Set<String> tokens = new HashSet<>();
    for (String value : connectionValues) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          tokens.add(name);
        }
      }
    }
    return tokens;
  }

  /** Whether a request header of the client goes on to the upstream as it is. */
  static boolean forwardRequestHeader(String name, Set<String> connectionTokens) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !HOP_BY_HOP.contains(lower) && !REPLACED_IN_REQUEST.contains(lower) && !connectionTokens.contains(lower);
  }

  /** Whether a response header of the upstream goes on to the client as it is. */
  static boolean forwardResponseHeader(String name, Set<String> connectionTokens) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !HOP_BY_HOP.contains(lower) && !connectionTokens.contains(lower);
  }

  /**
   * The query with every {@code token} parameter's value replaced by the upstream's key; other
   * parameters stay byte for byte. Null or empty stays empty.
   */
  static String replaceToken(String rawQuery, String key) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(rawQuery.length() + key.length());
    for (String part : rawQuery.split("&", -1)) {
      if (!out.isEmpty()) {
        out.append('&');
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      if (name.equals("token")) {
        out.append("token=").append(URLEncoder.encode(key, StandardCharsets.UTF_8));
      } else {
        out.append(part);
      }
    }
    return out.toString();
  }

  /**
   * The upstream URI for a raw (percent-encoded) path and raw query; {@code ws}/{@code wss} when
   * {@code webSocket}.
   *
   * @throws IllegalArgumentException if the path does not start with '/' or the result is not a URI on the upstream
   */
  static URI target(Upstream upstream, String rawPath, String rawQuery, boolean webSocket) {
    if (rawPath == null || !rawPath.startsWith("/")) {
      throw new IllegalArgumentException("a forwarded path starts with '/'");
    }
    String query = replaceToken(rawQuery, upstream.apiKey());
    URI base = upstream.baseUri();
    String scheme = webSocket ? (upstream.secure() ? "wss" : "ws") : base.getScheme();
    URI target = URI.create(scheme + "://" + base.getRawAuthority() + (base.getRawPath() == null ? "" : base.getRawPath())
        + rawPath + (query.isEmpty() ? "" : "?" + query));
    if (!base.getRawAuthority().equals(target.getRawAuthority()) || target.getRawFragment() != null) {
      throw new IllegalArgumentException("a forwarded path must stay on the upstream");
    }
    return target;
  }

  /** X-Forwarded-For: the client's chain (if any) followed by the address this server saw. */
  static String forwardedFor(String previous, String remoteAddress) {
    return previous == null || previous.isBlank() ? remoteAddress : previous + ", " + remoteAddress;
  }
}
