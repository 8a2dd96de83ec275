package dev.sandcastle.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import io.javalin.websocket.WsConfig;
import java.util.List;
import java.util.function.Consumer;

/**
 * Registers each workspace route under every tenant prefix: the root alone for {@code sandcastle
 * terminal}; the root, {@code /terminals} and {@code /p/{policy_id}} for the orchestrator (the
 * forms Open WebUI uses).
 */
final class Router {
  static final String POLICY_PREFIX = "/p/{policy_id}";

  private final RoutesConfig routes;
  private final List<String> prefixes;

  Router(RoutesConfig routes, List<String> prefixes) {
    this.routes = routes;
    this.prefixes = prefixes;
  }

  void get(String path, Handler handler) {
    prefixes.forEach(prefix -> routes.get(prefix + path, handler));
  }

  void post(String path, Handler handler) {
    prefixes.forEach(prefix -> routes.post(prefix + path, handler));
  }

  void delete(String path, Handler handler) {
    prefixes.forEach(prefix -> routes.delete(prefix + path, handler));
  }

  void wsBeforeUpgrade(String path, Handler handler) {
    prefixes.forEach(prefix -> routes.wsBeforeUpgrade(prefix + path, handler));
  }

  void ws(String path, Consumer<WsConfig> config) {
    prefixes.forEach(prefix -> routes.ws(prefix + path, config));
  }
}
