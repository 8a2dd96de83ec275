package dev.sandcastle.api;

import java.nio.file.Path;
import java.util.List;

/**
 * Settings of the HTTP layer.
 *
 * @param access who may call (an API key for one workspace; the orchestrator's authentication for many)
 * @param maxRequestBytes the largest JSON request body; larger ones get 413
 * @param maxUploadBytes the largest file upload
 * @param uploadCache a server-owned directory where multipart uploads are spooled
 * @param prefixes the path prefixes the workspace routes are served under: {@code ""} for the root,
 *     and for the orchestrator also {@code /terminals} and {@code /p/{policy_id}}
 * @param proxies the reverse proxies whose {@code X-Forwarded-For} names the client
 */
public record ApiSettings(Access access, long maxRequestBytes, long maxUploadBytes, Path uploadCache, List<String> prefixes,
    TrustedProxies proxies) {
  /** The tenant prefixes of the Terminals orchestrator, beside the root. */
  public static final List<String> TENANT_PREFIXES = List.of("", "/terminals", Router.POLICY_PREFIX);

  /** One workspace behind one API key, at the root. */
  public ApiSettings(String apiKey, long maxRequestBytes, long maxUploadBytes, Path uploadCache) {
    this(new ApiKeyAuth(apiKey), maxRequestBytes, maxUploadBytes, uploadCache, List.of(""), TrustedProxies.none());
  }

  /** Settings trusting no proxy: the client is always the direct peer. */
  public ApiSettings(Access access, long maxRequestBytes, long maxUploadBytes, Path uploadCache, List<String> prefixes) {
    this(access, maxRequestBytes, maxUploadBytes, uploadCache, prefixes, TrustedProxies.none());
  }

  /** These settings, with the client's address taken from these proxies' {@code X-Forwarded-For}. */
  public ApiSettings withProxies(TrustedProxies trusted) {
    return new ApiSettings(access, maxRequestBytes, maxUploadBytes, uploadCache, prefixes, trusted);
  }

  public ApiSettings {
    if (maxRequestBytes < 1024 || maxUploadBytes < 1024) {
      throw new IllegalArgumentException("request limits must be at least 1 KiB");
    }
    prefixes = List.copyOf(prefixes);
    proxies = proxies == null ? TrustedProxies.none() : proxies;
    if (prefixes.isEmpty()) {
      throw new IllegalArgumentException("routes need at least one prefix (\"\" for the root)");
    }
  }
}
