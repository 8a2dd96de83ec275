package dev.sandcastle.api;

import dev.sandcastle.core.errors.Unauthorized;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Bearer API-key check for every endpoint but the public ones. The key is compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, so neither its content nor its length leaks
 * through timing.
 *
 * <p>WebSocket upgrades never reach {@link #check} (Javalin runs only WebSocket handlers for
 * them): every WebSocket route must authenticate by itself, as {@link TerminalRoutes} does with
 * its first message and {@link JupyterRoutes} with the upgrade's token.
 */
final class ApiKeyAuth implements Access {
  private final byte[] expected;

  ApiKeyAuth(String apiKey) {
    if (apiKey == null || apiKey.length() < 8) {
      throw new IllegalArgumentException("the API key must have at least 8 characters");
    }
    this.expected = digest(apiKey);
  }

  @Override
  public void check(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null && Access.jupyterToken(ctx).map(this::matches).orElse(false)) {
      return;
    }
    if (header == null) {
      throw new Unauthorized("missing API key: send Authorization: Bearer <key>");
    }
    if (!matchesHeader(header)) {
      throw new Unauthorized("invalid API key");
    }
  }

  @Override
  public void checkSocket(Handshake handshake, Optional<String> token) {
    String header = handshake.header("Authorization").orElse(null);
    boolean allowed = token.map(this::matches).orElse(false) || (header != null && matchesHeader(header));
    if (!allowed) {
      throw new SocketRefused(SocketRefused.AUTH, token.isEmpty() && header == null ? "authentication required" : "invalid API key");
    }
  }

  @Override
  public void checkPassword(Context ctx, String password) {
    if (!matches(password)) {
      throw new Unauthorized("invalid password: use the API key");
    }
  }

  /** An Authorization header with the key, as {@code Bearer <key>} or Jupyter's {@code token <key>}. */
  boolean matchesHeader(String header) {
    return Access.bearer(header).map(this::matches).orElse(false);
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
