package dev.sandcastle.orchestrator.backend.docker;

import dev.sandcastle.core.errors.Unavailable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sandcastle docker prune}: stops and removes every container one orchestrator made (found
 * by its labels: tenants' workspaces and warm spares) and the networks it made that no container
 * uses any more (another orchestrator on the same engine may share them: the engine refuses to
 * remove a network in use, and it is kept). Tenants' home volumes stay unless asked, so their files are there when
 * the server runs again: a home is found by its tenant's name, and a tenant that took a warm spare
 * has its home under the spare's name, so such a home is first copied (by a short-lived container
 * of the workspace's own image, as the workspace user, without network) into a volume named after
 * the tenant. Spares' homes are nobody's and go. Run it with the server stopped.
 */
public final class DockerPrune {
  private static final Logger log = LoggerFactory.getLogger(DockerPrune.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /**
   * What was removed and kept.
   *
   * @param containers containers stopped and removed
   * @param homesRenamed homes of tenants that had taken a spare, copied to volumes named after them
   * @param volumes volumes removed (every one of the orchestrator's with {@code volumes}, else spares' homes)
   * @param networks networks removed
   * @param problems what could not be done, one sentence each
   */
  public record Result(int containers, int homesRenamed, int volumes, List<String> networks, List<String> problems) {}

  private final DockerClient docker;
  private final String orchestratorId;
  private final Duration stopGrace;

  private DockerPrune(DockerClient docker, String orchestratorId, Duration stopGrace) {
    this.docker = docker;
    this.orchestratorId = orchestratorId;
    this.stopGrace = stopGrace;
  }

  /**
   * @param host the engine ({@code unix://} or {@code tcp://})
   * @param orchestratorId the orchestrator whose containers go ({@link DockerBackend#idOf})
   * @param volumes also remove every home volume of the orchestrator
   * @throws Unavailable when the engine cannot be reached
   */
  public static Result prune(String host, String orchestratorId, boolean volumes, Duration stopGrace) {
    try (DockerClient docker = new DockerClient(host)) {
      docker.checkVersion();
      return new DockerPrune(docker, orchestratorId, stopGrace).run(volumes);
    }
  }

  private Result run(boolean volumes) {
    Map<String, String> ours = new LinkedHashMap<>();
    ours.put(DockerBackend.MANAGED_BY, "sandcastle");
    ours.put(DockerBackend.ORCHESTRATOR, orchestratorId);
    List<JsonNode> containers = new ArrayList<>();
    for (JsonNode summary : docker.list(ours)) {
      docker.inspect(summary.path("Id").asString()).ifPresent(containers::add);
    }
    List<String> problems = new ArrayList<>();
    stopAll(containers, problems);
    int renamed = 0;
    int removedVolumes = 0;
    int removedContainers = 0;
    for (JsonNode container : containers) {
      String name = container.path("Name").asString().replaceFirst("^/", "");
      Optional<String> home = DockerBackend.homeVolume(container);
      boolean spare = container.path("Config").path("Labels").path(DockerBackend.SPARE).asString("").equals("true");
      boolean untaken = spare && name.contains("-spare-");
      try {
        if (!volumes && !untaken && home.isPresent() && !home.get().equals(name + "-home")) {
          renameHome(container, home.get(), name + "-home");
          renamed++;
        }
        docker.remove(container.path("Id").asString());
        removedContainers++;
        if (home.isPresent() && (untaken || (!volumes && !home.get().equals(name + "-home")))) {
          docker.removeVolume(home.get());
          removedVolumes++;
        }
      } catch (RuntimeException e) {
        problems.add("container " + name + ": " + e.getMessage());
      }
    }
    if (volumes) {
      for (String volume : docker.volumes(ours)) {
        try {
          docker.removeVolume(volume);
          removedVolumes++;
        } catch (RuntimeException e) {
          problems.add("volume " + volume + ": " + e.getMessage());
        }
      }
    }
    List<String> networks = new ArrayList<>();
    for (String network : docker.networks(ours)) {
      try {
        docker.removeNetwork(network);
        networks.add(network);
      } catch (DockerClient.Failure e) {
        problems.add("network " + network + " kept: " + e.getMessage() + " (another server's workspaces use it)");
      }
    }
    return new Result(removedContainers, renamed, removedVolumes, networks, problems);
  }

  /** Stops them all at once, each with the grace period (their servers stop within a second). */
  private void stopAll(List<JsonNode> containers, List<String> problems) {
    try (var stops = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> pending = new ArrayList<>();
      for (JsonNode container : containers) {
        if (container.path("State").path("Running").asBoolean(false)) {
          pending.add(stops.submit(() -> docker.stop(container.path("Id").asString(), stopGrace)));
        }
      }
      for (Future<?> stop : pending) {
        try {
          stop.get();
        } catch (java.util.concurrent.ExecutionException e) {
          problems.add("stop: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Unavailable("interrupted while stopping containers");
        }
      }
    }
  }

  /**
   * Copies a home into a new volume named {@code target} (with the source's size cap), as the
   * workspace user in a container of the workspace's image with no network; the source stays
   * until the caller removes it.
   */
  private void renameHome(JsonNode container, String source, String target) {
    long size = docker.volume(source).map(v -> v.path("Options").path("size").asString("")).filter(s -> s.matches("\\d+"))
        .map(Long::parseLong).orElse(0L);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(DockerBackend.MANAGED_BY, "sandcastle");
    labels.put(DockerBackend.ORCHESTRATOR, orchestratorId);
    docker.createVolume(target, labels, size);
    ObjectNode spec = JSON.createObjectNode();
    spec.put("Image", container.path("Config").path("Image").asString());
    spec.put("User", DockerBackend.UID + ":" + DockerBackend.UID);
    // The new volume goes where the image has the home, so the engine gives it the home's owner (the workspace user).
    spec.putArray("Entrypoint").add("/bin/sh").add("-c").add("cp -a /mnt/. " + DockerBackend.HOME + "/");
    spec.putArray("Cmd");
    labels.forEach(spec.putObject("Labels")::put);
    ObjectNode host = spec.putObject("HostConfig");
    host.put("NetworkMode", "none");
    host.put("ReadonlyRootfs", true);
    host.putArray("CapDrop").add("ALL");
    host.putArray("SecurityOpt").add("no-new-privileges");
    var mounts = host.putArray("Mounts");
    mounts.addObject().put("Type", "volume").put("Source", source).put("Target", "/mnt").put("ReadOnly", true);
    mounts.addObject().put("Type", "volume").put("Source", target).put("Target", DockerBackend.HOME);
    String helper = docker.create("sc-" + orchestratorId + "-home-copy-" + Long.toHexString(System.nanoTime()), spec);
    try {
      docker.start(helper);
      int status = docker.await(helper, Duration.ofMinutes(30));
      if (status != 0) {
        throw new Unavailable("copying the home " + source + " to " + target + " failed (exit " + status + "); both volumes are kept");
      }
      log.info("home {} copied to {}", source, target);
    } finally {
      docker.remove(helper);
    }
  }
}
