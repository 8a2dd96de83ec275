package dev.sandcastle.api;

import io.javalin.http.Context;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a WebSocket's upgrade request said, copied while that request is alive: Jetty recycles it
 * once the socket is open, and sockets authenticate later (terminals with their first message).
 *
 * @param path the request path, with any tenant prefix
 * @param pathParams the route's path parameters ({@code id}, {@code policy_id})
 * @param query the query parameters (first value of each)
 * @param headers the request headers (names in lower case, first value of each)
 * @param attributes what {@link Access#checkSocket} learned, for the workspace resolver
 */
public record Handshake(String path, Map<String, String> pathParams, Map<String, String> query, Map<String, String> headers,
    String remoteAddress, Map<String, Object> attributes) {
  public static final String ATTRIBUTE = "sandcastle.handshake";
  private static final String CLOSER = "sandcastle.closer";

  public Handshake {
    pathParams = Map.copyOf(pathParams);
    query = Map.copyOf(query);
    headers = Map.copyOf(headers);
  }

  public static Handshake of(Context ctx) {
    Map<String, String> query = new TreeMap<>();
    ctx.queryParamMap().forEach((name, values) -> {
      if (!values.isEmpty()) {
        query.put(name, values.getFirst());
      }
    });
    Map<String, String> headers = new TreeMap<>();
    ctx.headerMap().forEach((name, value) -> headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value));
    return new Handshake(ctx.path(), ctx.pathParamMap(), query, headers, ctx.ip(), new ConcurrentHashMap<>());
  }

  /**
   * How this socket can be closed later by whoever authenticated it (the orchestrator closes the
   * sockets of sessions that are signed out); the route sets it before {@link Access#checkSocket}.
   */
  public void closeWith(java.util.function.BiConsumer<Integer, String> close) {
    attributes.put(CLOSER, close);
  }

  /** Closes the socket with this code and reason, if its route said how; else nothing. */
  @SuppressWarnings("unchecked")
  public void close(int code, String reason) {
    if (attributes.get(CLOSER) instanceof java.util.function.BiConsumer<?, ?> close) {
      ((java.util.function.BiConsumer<Integer, String>) close).accept(code, reason);
    }
  }

  public Optional<String> queryParam(String name) {
    return Optional.ofNullable(query.get(name));
  }

  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * The token of a Jupyter channels socket that is not in its Authorization header: {@code
   * ?token=}, else what its password login cookie stands for (see {@link JupyterLogin}).
   */
  public Optional<String> jupyterToken() {
    return queryParam("token").or(() -> JupyterLogin.token(this));
  }

  /** The subprotocol this socket was accepted with, if any (see {@link KernelWire#answerUpgrade}). */
  public Optional<String> subprotocol() {
    return Access.isKernelChannelsPath(path) ? KernelWire.offered(header(KernelWire.PROTOCOL_HEADER)).subprotocol() : Optional.empty();
  }

  public Optional<String> pathParam(String name) {
    return Optional.ofNullable(pathParams.get(name));
  }

  @Override
  public String toString() {
    return "Handshake[" + path + " from " + remoteAddress + "]"; // no tokens
  }

  static List<String> paths() {
    return List.of(TerminalRoutes.TERMINAL_PATH, JupyterRoutes.CHANNELS_PATH);
  }
}
