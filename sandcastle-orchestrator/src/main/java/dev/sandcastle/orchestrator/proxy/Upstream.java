package dev.sandcastle.orchestrator.proxy;

import java.net.URI;

/**
 * A remote workspace server: where it listens and the API key it expects.
 *
 * @param baseUri {@code http://host:port} or {@code https://host:port}, optionally with a path prefix
 *     (no trailing slash, no query, no fragment, no user info)
 * @param apiKey the workspace server's own API key, sent as {@code Authorization: Bearer <key>} (and
 *     in place of a client's {@code ?token=}); never the client's key. Not shown by {@link #toString()}.
 * @throws IllegalArgumentException if either is malformed
 */
public record Upstream(URI baseUri, String apiKey) {

  public Upstream {
    if (baseUri == null || baseUri.getScheme() == null || baseUri.getHost() == null) {
      throw new IllegalArgumentException("an upstream URI needs a scheme and a host, e.g. http://10.0.0.5:8000");
    }
    String scheme = baseUri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("an upstream URI is http or https");
    }
    if (baseUri.getRawUserInfo() != null || baseUri.getRawQuery() != null || baseUri.getRawFragment() != null) {
      throw new IllegalArgumentException("an upstream URI has no user info, query or fragment");
    }
    String path = baseUri.getRawPath() == null ? "" : baseUri.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    baseUri = URI.create(scheme + "://" + baseUri.getRawAuthority() + path);
    if (apiKey == null || apiKey.isBlank()) {
      throw new IllegalArgumentException("an upstream needs its API key");
    }
    for (int i = 0; i < apiKey.length(); i++) {
      char c = apiKey.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new IllegalArgumentException("an upstream API key is printable ASCII without spaces");
      }
    }
  }

  /** Whether the upstream speaks TLS ({@code https}, so {@code wss} for WebSockets). */
  boolean secure() {
    return baseUri.getScheme().equals("https");
  }

  @Override
  public String toString() {
    return "Upstream[" + baseUri + "]";
  }
}
