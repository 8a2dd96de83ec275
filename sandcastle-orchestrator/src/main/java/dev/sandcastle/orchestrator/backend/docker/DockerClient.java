package dev.sandcastle.orchestrator.backend.docker;

import dev.sandcastle.core.errors.Unavailable;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A small client of the Docker Engine API, spoken with Jetty's HttpClient over the engine's Unix
 * socket ({@code unix:///var/run/docker.sock}) or TCP ({@code tcp://host:2375}). Every call uses
 * the pinned API version {@value #API_VERSION}, which {@link #checkVersion} verifies the engine
 * supports. Blocking; safe from any number of threads. Engine errors become {@link Failure}
 * (with the HTTP status), an unreachable engine {@link Unavailable}.
 */
final class DockerClient implements AutoCloseable {
  /** The API version every request names: Docker 20.10 (the oldest engine we run on) speaks it. */
  static final String API_VERSION = "1.41";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** An error the engine answered with. */
  static final class Failure extends RuntimeException {
    final int status;

    Failure(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private final HttpClient http;
  private final String base;
  private final Transport transport;
  private final String where;

  /** @param host {@code unix:///path/to/docker.sock} or {@code tcp://host:port} (DOCKER_HOST's forms) */
  DockerClient(String host) {
    if (host.startsWith("unix://")) {
      Path socket = Path.of(host.substring("unix://".length()));
      if (!Files.exists(socket)) {
        throw new Unavailable("no Docker engine: " + socket + " does not exist (start dockerd, e.g. bin/docker-up, or set --docker-host)");
      }
      this.transport = new Transport.TCPUnix(socket);
      this.base = "http://docker/v" + API_VERSION;
    } else if (host.startsWith("tcp://") || host.startsWith("http://")) {
      URI uri = URI.create(host.replaceFirst("^tcp://", "http://"));
      this.transport = null;
      this.base = "http://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 2375 : uri.getPort()) + "/v" + API_VERSION;
    } else {
      throw new IllegalArgumentException("the Docker host must be unix:///path or tcp://host:port, got '" + host + "'");
    }
    this.where = host;
    http = dev.sandcastle.orchestrator.JettyClients.start("docker", 16, 1, client -> {
      client.setConnectTimeout(5_000);
      client.setFollowRedirects(false);
    });
  }

  /**
   * Pings the engine and checks that it speaks {@value #API_VERSION}; returns its version.
   *
   * @throws Unavailable when the engine does not answer or is too old
   */
  String checkVersion() {
    send(HttpMethod.GET, "/_ping", null, Duration.ofSeconds(10));
    JsonNode version = send(HttpMethod.GET, "/version", null, Duration.ofSeconds(10));
    String api = version.path("ApiVersion").asString("");
    if (compare(api, API_VERSION) < 0) {
      throw new Unavailable("the Docker engine at " + where + " speaks API " + api + "; Sandcastle needs " + API_VERSION
          + " (Docker 20.10) or newer");
    }
    return version.path("Version").asString("?") + " (API " + api + ")";
  }

  static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length && x[i].matches("\\d+") ? Integer.parseInt(x[i]) : 0;
      int q = i < y.length && y[i].matches("\\d+") ? Integer.parseInt(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  /** Creates a container; returns its id. {@link Failure} with status 409 when the name is taken. */
  String create(String name, ObjectNode spec) {
    return send(HttpMethod.POST, "/containers/create?name=" + encode(name), spec, TIMEOUT).path("Id").asString();
  }

  /** Starts a container (no error when it already runs). */
  void start(String id) {
    send(HttpMethod.POST, "/containers/" + encode(id) + "/start", null, TIMEOUT);
  }

  /** Renames a container. */
  void rename(String id, String name) {
    send(HttpMethod.POST, "/containers/" + encode(id) + "/rename?name=" + encode(name), null, TIMEOUT);
  }

  /** The container's state and configuration, or empty when there is none by that id or name. */
  Optional<JsonNode> inspect(String idOrName) {
    return described("/containers/" + encode(idOrName) + "/json");
  }

  /** What the engine answers to GET {@code path}, or empty when it has no such object (404). */
  private Optional<JsonNode> described(String path) {
    try {
      return Optional.of(send(HttpMethod.GET, path, null, TIMEOUT));
    } catch (Failure e) {
      if (e.status == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Stops a container: SIGTERM, then SIGKILL after the grace period. No error when stopped or gone. */
  void stop(String id, Duration grace) {
    try {
      send(HttpMethod.POST, "/containers/" + encode(id) + "/stop?t=" + grace.toSeconds(), null, grace.plus(TIMEOUT));
    } catch (Failure e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  /** Removes a container (killing it if it runs). No error when it is gone already. */
  void remove(String id) {
    try {
      send(HttpMethod.DELETE, "/containers/" + encode(id) + "?force=true&v=false", null, TIMEOUT);
    } catch (Failure e) {
      if (e.status != 404 && !(e.status == 409 && e.getMessage().contains("already in progress"))) {
        throw e;
      }
    }
  }

  /** Containers (running or not) carrying every one of these labels. */
  List<JsonNode> list(Map<String, String> labels) {
    List<JsonNode> found = new ArrayList<>();
    send(HttpMethod.GET, "/containers/json?all=true&filters=" + labelled(labels), null, TIMEOUT).forEach(found::add);
    return found;
  }

  /**
   * Creates a named volume with the local driver; no error when it exists (an existing volume
   * keeps the options it was made with).
   *
   * @param sizeBytes the volume's cap (the local driver's {@code size} option), or 0 for none;
   *     an engine without project quotas under its volumes refuses a cap with "quota size
   *     requested but no quota support"
   */
  void createVolume(String name, Map<String, String> labels, long sizeBytes) {
    ObjectNode spec = JSON.createObjectNode().put("Name", name).put("Driver", "local");
    labels.forEach(spec.putObject("Labels")::put);
    if (sizeBytes > 0) {
      spec.putObject("DriverOpts").put("size", Long.toString(sizeBytes));
    }
    send(HttpMethod.POST, "/volumes/create", spec, TIMEOUT);
  }

  /** Removes a named volume. No error when it is gone already. */
  void removeVolume(String name) {
    try {
      send(HttpMethod.DELETE, "/volumes/" + encode(name) + "?force=true", null, TIMEOUT);
    } catch (Failure e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  /** Names of the volumes carrying every one of these labels. */
  List<String> volumes(Map<String, String> labels) {
    return names(send(HttpMethod.GET, "/volumes?filters=" + labelled(labels), null, TIMEOUT).path("Volumes"));
  }

  /** A filters parameter that keeps objects carrying every one of these labels. */
  private static String labelled(Map<String, String> labels) {
    return encode(JSON.writeValueAsString(Map.of("label", labelFilters(labels))));
  }

  private static List<String> names(JsonNode objects) {
    List<String> names = new ArrayList<>();
    objects.forEach(o -> names.add(o.path("Name").asString()));
    return names;
  }

  /** The network's description, or empty when there is none of that name. */
  Optional<JsonNode> network(String name) {
    return described("/networks/" + encode(name));
  }

  /** Names of the networks carrying every one of these labels. */
  List<String> networks(Map<String, String> labels) {
    return names(send(HttpMethod.GET, "/networks?filters=" + labelled(labels), null, TIMEOUT));
  }

  /** Removes a network. No error when it is gone; {@link Failure} (403) while containers are attached. */
  void removeNetwork(String name) {
    try {
      send(HttpMethod.DELETE, "/networks/" + encode(name), null, TIMEOUT);
    } catch (Failure e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  /** The volume's description, or empty when there is none of that name. */
  Optional<JsonNode> volume(String name) {
    return described("/volumes/" + encode(name));
  }

  /** Waits (up to {@code timeout}) until the container exits; returns its exit status. */
  int await(String id, Duration timeout) {
    return send(HttpMethod.POST, "/containers/" + encode(id) + "/wait", null, timeout).path("StatusCode").asInt(-1);
  }

  /** Creates a network (bridge driver). */
  void createNetwork(ObjectNode spec) {
    send(HttpMethod.POST, "/networks/create", spec, TIMEOUT);
  }

  /** Whether an image of that name is in the engine. */
  boolean hasImage(String name) {
    try {
      send(HttpMethod.GET, "/images/" + encode(name) + "/json", null, TIMEOUT);
      return true;
    } catch (Failure e) {
      if (e.status == 404) {
        return false;
      }
      throw e;
    }
  }

  private static List<String> labelFilters(Map<String, String> labels) {
    List<String> filters = new ArrayList<>();
    labels.forEach((k, v) -> filters.add(k + "=" + v));
    return filters;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private JsonNode send(HttpMethod method, String path, JsonNode body, Duration timeout) {
    Request request = http.newRequest(base + path).method(method).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (transport != null) {
      request.transport(transport);
    }
    if (body != null) {
      request.body(new StringRequestContent("application/json", JSON.writeValueAsString(body)));
    }
    ContentResponse response;
    try {
      response = request.send();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while calling the Docker engine");
    } catch (TimeoutException e) {
      throw new Unavailable("the Docker engine at " + where + " did not answer " + method + " " + path + " within " + timeout.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new Unavailable("cannot reach the Docker engine at " + where + ": " + e.getCause().getMessage(), e.getCause());
    }
    String text = response.getContentAsString();
    if (response.getStatus() >= 400) {
      String message = text;
      try {
        message = JSON.readTree(text).path("message").asString(text);
      } catch (RuntimeException e) {
        // not JSON: keep the text
      }
      throw new Failure(response.getStatus(), "Docker engine: " + method + " " + path.replaceAll("\\?.*", "") + ": " + message);
    }
    if (text.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(text);
    } catch (RuntimeException e) {
      return JSON.createObjectNode().put("text", text); // _ping answers "OK"
    }
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      // closing
    }
  }
}
