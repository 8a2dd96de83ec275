package dev.sandcastle.api;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * Bearer API-key check for every endpoint but the public ones. The key is compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither its content nor its length leaks
 * through timing.
 *
 * <p>WebSocket upgrades never reach {@link #check} (Javalin runs only WebSocket handlers for
 * them, and browsers cannot set headers on an upgrade anyway): every WebSocket route must
 * authenticate its first message with {@link #matches}, as {@link TerminalRoutes} does.
 */
final class ApiKeyAuth {
  private static final Set<String> PUBLIC = Set.of("/health", "/api/config", "/openapi.json");

  private final byte[] expected;

  ApiKeyAuth(String apiKey) {
    if (apiKey == null || apiKey.length() < 8) {
      throw new IllegalArgumentException("the API key must have at least 8 characters");
    }
    this.expected = digest(apiKey);
  }

  void check(Context ctx) {
    if (PUBLIC.contains(ctx.path()) || "OPTIONS".equals(ctx.method().name())) {
      return;
    }
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new HttpResponseException(401, "missing API key: send Authorization: Bearer <key>", java.util.Map.of());
    }
    if (!matches(header.substring(7).trim())) {
      throw new HttpResponseException(401, "invalid API key", java.util.Map.of());
    }
  }

  boolean matches(String candidate) {
    return MessageDigest.isEqual(expected, digest(candidate));
  }

  private static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
