package dev.sandcastle.orchestrator.backend.docker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Just enough of the Docker Engine API, on 127.0.0.1, for the docker backend to make, start,
 * inspect, rename, stop and remove containers without an engine: it records what it is asked
 * ({@link #containers()} as {@code docker inspect} would show them) and runs nothing. Every
 * container's address is 127.0.0.1, where a second server answers every workspace request
 * (its {@code /health} too) with 200.
 */
final class FakeEngine implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern CONTAINER = Pattern.compile("/v[0-9.]+/containers/([^/]+)(/[a-z]+)?");

  private final HttpServer engine;
  private final HttpServer workspace;
  // Inspect views by id, in creation order; guarded by this.
  private final Map<String, ObjectNode> containers = new LinkedHashMap<>();
  private final List<String> removed = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  FakeEngine() throws IOException {
    engine = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    engine.createContext("/", this::handle);
    engine.start();
    workspace = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    workspace.createContext("/", exchange -> reply(exchange, 200, "{}"));
    workspace.start();
  }

  String host() {
    return "tcp://127.0.0.1:" + engine.getAddress().getPort();
  }

  int workspacePort() {
    return workspace.getAddress().getPort();
  }

  /** Every container there is now, as inspected. */
  synchronized List<JsonNode> containers() {
    return List.copyOf(containers.values().stream().map(c -> (JsonNode) c.deepCopy()).toList());
  }

  synchronized Optional<JsonNode> container(String name) {
    return find(name).map(ObjectNode::deepCopy);
  }

  /** Ids of the containers removed so far. */
  synchronized List<String> removed() {
    return List.copyOf(removed);
  }

  private Optional<ObjectNode> find(String idOrName) {
    ObjectNode byId = containers.get(idOrName);
    if (byId != null) {
      return Optional.of(byId);
    }
    return containers.values().stream().filter(c -> c.path("Name").asString().equals("/" + idOrName)).findFirst();
  }

  private synchronized void handle(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    byte[] raw;
    try (var in = exchange.getRequestBody()) {
      raw = in.readAllBytes();
    }
    JsonNode body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
    String rest = path.replaceFirst("^/v[0-9.]+", "");
    if (rest.equals("/_ping")) {
      reply(exchange, 200, "OK");
    } else if (rest.equals("/version")) {
      reply(exchange, 200, "{\"ApiVersion\":\"1.47\",\"Version\":\"fake\"}");
    } else if (rest.startsWith("/networks/")) {
      String name = rest.substring("/networks/".length());
      reply(exchange, 200, JSON.createObjectNode().put("Name", name).put("Id", "0123456789abcdef0123").put("Internal", !name.endsWith("-egress"))
          .toString());
    } else if (rest.startsWith("/images/")) {
      reply(exchange, 200, "{}");
    } else if (rest.equals("/volumes/create") || rest.startsWith("/volumes/")) {
      reply(exchange, method.equals("DELETE") ? 204 : 201, method.equals("DELETE") ? "" : "{}");
    } else if (rest.equals("/volumes")) {
      reply(exchange, 200, "{\"Volumes\":[]}");
    } else if (rest.equals("/containers/json")) {
      ArrayNode list = JSON.createArrayNode();
      List<String> wanted = new ArrayList<>();
      JSON.readTree(query.getOrDefault("filters", "{}")).path("label").forEach(l -> wanted.add(l.asString()));
      for (ObjectNode c : containers.values()) {
        JsonNode labels = c.path("Config").path("Labels");
        if (wanted.stream().allMatch(l -> labels.path(l.substring(0, l.indexOf('='))).asString("").equals(l.substring(l.indexOf('=') + 1)))) {
          list.addObject().put("Id", c.path("Id").asString()).putArray("Names").add(c.path("Name").asString());
        }
      }
      reply(exchange, 200, list.toString());
    } else if (rest.equals("/containers/create")) {
      create(exchange, query.get("name"), body);
    } else {
      Matcher m = CONTAINER.matcher(path);
      Optional<ObjectNode> container = m.matches() ? find(m.group(1)) : Optional.empty();
      if (container.isEmpty()) {
        reply(exchange, 404, "{\"message\":\"No such container\"}");
        return;
      }
      ObjectNode c = container.get();
      String action = m.group(2) == null ? "" : m.group(2);
      switch (method + " " + action) {
        case "GET /json" -> reply(exchange, 200, c.toString());
        case "POST /start" -> {
          ((ObjectNode) c.path("State")).put("Running", true);
          reply(exchange, 204, "");
        }
        case "POST /stop" -> {
          ((ObjectNode) c.path("State")).put("Running", false);
          reply(exchange, 204, "");
        }
        case "POST /rename" -> {
          c.put("Name", "/" + query.get("name"));
          reply(exchange, 204, "");
        }
        case "DELETE " -> {
          containers.remove(c.path("Id").asString());
          removed.add(c.path("Id").asString());
          reply(exchange, 204, "");
        }
        default -> reply(exchange, 404, "{\"message\":\"not faked: " + method + " " + path + "\"}");
      }
    }
  }

  private void create(HttpExchange exchange, String name, JsonNode spec) throws IOException {
    if (find(name).isPresent()) {
      reply(exchange, 409, "{\"message\":\"Conflict. The container name is already in use\"}");
      return;
    }
    String id = String.format("%064d", ids.incrementAndGet());
    ObjectNode c = JSON.createObjectNode().put("Id", id).put("Name", "/" + name);
    ObjectNode config = c.putObject("Config");
    config.put("Image", spec.path("Image").asString());
    config.set("Env", spec.path("Env"));
    config.set("Labels", spec.path("Labels"));
    c.set("HostConfig", spec.path("HostConfig"));
    c.putObject("State").put("Running", false);
    c.putObject("NetworkSettings").putObject("Networks").putObject(spec.path("HostConfig").path("NetworkMode").asString())
        .put("IPAddress", "127.0.0.1");
    for (JsonNode mount : spec.path("HostConfig").path("Mounts")) {
      c.withArray("Mounts").addObject().put("Type", mount.path("Type").asString()).put("Name", mount.path("Source").asString())
          .put("Destination", mount.path("Target").asString());
    }
    containers.put(id, c);
    reply(exchange, 201, JSON.createObjectNode().put("Id", id).toString());
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return query;
  }

  private static void reply(HttpExchange exchange, int status, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, status == 204 || bytes.length == 0 ? -1 : bytes.length);
    if (status != 204 && bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
    exchange.close();
  }

  @Override
  public void close() {
    engine.stop(0);
    workspace.stop(0);
  }
}
