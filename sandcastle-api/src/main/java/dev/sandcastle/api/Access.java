package dev.sandcastle.api;

import io.javalin.http.Context;
import java.util.Optional;

/**
 * Who may call the workspace API: the one pluggable decision of the HTTP layer. {@code sandcastle
 * terminal} uses a single API key; the orchestrator verifies admin keys and user tokens and picks
 * the tenant from the request.
 *
 * <p>Both methods run on the request's own thread (a virtual thread for HTTP, Jetty's WebSocket
 * thread for sockets) before any workspace is resolved, so an unauthenticated caller never causes
 * a workspace to be provisioned.
 */
public interface Access {
  /**
   * Authenticates an HTTP request to a non-public path. Returns normally to let it through;
   * throws {@link dev.sandcastle.core.errors.Unauthorized}, {@link dev.sandcastle.core.errors.Forbidden}
   * or {@link dev.sandcastle.core.errors.BadRequest} (the API maps them to 401, 403, 400). May
   * store what it learned about the caller as request attributes for the workspace resolver.
   */
  void check(Context ctx);

  /**
   * Authenticates a WebSocket, from the token of its first message (terminals) or of its
   * handshake (the Jupyter channels: {@code ?token=} or the Authorization header).
   *
   * @param handshake the upgrade request: path, query ({@code user_id}, {@code context_id}) and headers
   * @param token the token the client presented, if any
   * @throws SocketRefused with the close code to send (the only exception it may throw)
   */
  void checkSocket(Handshake handshake, Optional<String> token);

  /**
   * A socket that {@link #checkSocket} let through has closed (called once, on Jetty's thread).
   * The orchestrator counts open sockets per tenant with this, so a tenant with a terminal open is
   * never stopped as idle.
   */
  default void socketClosed(Handshake handshake) {}

  /** Paths anyone may call, relative to a tenant prefix. */
  static boolean isPublic(String path) {
    String local = localPath(path);
    return local.equals("/health") || local.equals("/api/config") || local.equals("/openapi.json") || local.equals("/openapi.full.json")
        || local.equals("/login");
  }

  /** A request path without its tenant prefix ({@code /terminals} or {@code /p/<id>}). */
  static String localPath(String path) {
    if (path.startsWith("/terminals/")) {
      return path.substring("/terminals".length());
    }
    if (path.startsWith("/p/")) {
      int end = path.indexOf('/', 3);
      return end < 0 ? "/" : path.substring(end);
    }
    return path;
  }

  /**
   * Whether a path belongs to the Jupyter Server API, whose clients may send their token as
   * {@code ?token=} (a browser cannot set headers on a WebSocket).
   */
  static boolean isJupyterPath(String path) {
    String local = localPath(path);
    return local.startsWith("/api/kernels") || local.equals("/api/kernelspecs");
  }

  /** Whether a path is a kernel's channels WebSocket, {@code /api/kernels/{id}/channels}. */
  static boolean isKernelChannelsPath(String path) {
    String local = localPath(path);
    return local.startsWith("/api/kernels/") && local.endsWith("/channels") && local.indexOf('/', "/api/kernels/".length()) == local.length() - "/channels".length();
  }

  /**
   * The token of a Jupyter API request that sends no Authorization header: {@code ?token=} (a
   * browser cannot set headers on a WebSocket), else what its password login cookie stands for
   * (see {@link JupyterLogin}). Empty on every other path.
   *
   * @throws dev.sandcastle.core.errors.Forbidden for a login cookie without its XSRF header on a
   *     request that changes something
   */
  static Optional<String> jupyterToken(Context ctx) {
    if (!isJupyterPath(ctx.path())) {
      return Optional.empty();
    }
    return Optional.ofNullable(ctx.queryParam("token")).or(() -> JupyterLogin.token(ctx));
  }

  /**
   * Checks a password sent to Jupyter's login form ({@code POST /login}): the same credential a
   * client would otherwise send as its token. Returns normally to accept it.
   *
   * @throws dev.sandcastle.core.errors.Unauthorized when it is not accepted
   */
  void checkPassword(Context ctx, String password);

  /** The token of an Authorization header, {@code Bearer <token>} or Jupyter's {@code token <token>}. */
  static Optional<String> bearer(String authorization) {
    for (String scheme : new String[] {"Bearer ", "token "}) {
      if (authorization.regionMatches(true, 0, scheme, 0, scheme.length())) {
        return Optional.of(authorization.substring(scheme.length()).trim());
      }
    }
    return Optional.empty();
  }

  /** The token of a socket's first message, {@code {"type":"auth","token":"..."}}, if it is one. */
  static Optional<String> authMessageToken(String message) {
    if (message.isEmpty() || message.charAt(0) != '{') {
      return Optional.empty();
    }
    try {
      tools.jackson.databind.JsonNode node = tools.jackson.databind.json.JsonMapper.shared().readTree(message);
      return "auth".equals(node.path("type").asString("")) ? Optional.ofNullable(node.path("token").asString(null)) : Optional.empty();
    } catch (tools.jackson.core.JacksonException e) {
      return Optional.empty();
    }
  }
}
