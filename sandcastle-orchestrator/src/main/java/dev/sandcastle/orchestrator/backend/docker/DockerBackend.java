package dev.sandcastle.orchestrator.backend.docker;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code docker} backend: each tenant's workspace is a {@code sandcastle terminal --sandbox
 * none} in a container of its own, started from the sandbox image ({@code sandcastle image
 * build}) through the Docker Engine API; the orchestrator proxies to it.
 *
 * <p>Per tenant: a container and a named volume for its home, both named from a hash of the
 * orchestrator's id and the tenant's id ({@code sc-<oid>-<hash>}, 30 characters; the volume adds {@code -home}) and labelled
 * ({@value #MANAGED_BY}={@code sandcastle}, orchestrator, tenant, user, policy, context), so that
 * {@link #reconcile} finds its own objects and nothing a tenant controls picks which object is
 * touched. A fresh random workspace key goes into the container's environment and back in the
 * {@link Instance.Remote} (the tenant service stores it encrypted); it is read back from the
 * container when one is adopted. The container runs as uid {@value #UID} with a read-only root
 * file system, a tmpfs {@code /tmp}, every capability dropped, {@code no-new-privileges}, an init
 * process that reaps orphans, the policy's memory (no swap), CPU and process limits, and the
 * policy's runtime (e.g. {@code runsc}, gVisor), else the server's when one is configured, else the
 * engine's default. A container made under another runtime than its policy now names (the policy
 * changed while the tenant was stopped) is made again on the same home volume when the tenant
 * starts, so a policy's runtime always holds once it names one. The home volume is capped at the
 * policy's storage where the engine can (the local driver's {@code size} option: the engine's
 * volumes on XFS with project quotas); an engine that refuses it gets uncapped volumes and the log
 * says so once (best effort, as the issue asks). The root file system is read-only and
 * {@code /tmp} a sized tmpfs, so the home is the only disk a workspace can fill.
 *
 * <p>Networks: a container with the policy's network {@code none} joins an internal bridge
 * network ({@code Internal: true}: no route out of the host, no NAT) that this backend creates,
 * which still gives the orchestrator, on the host, a route to the container's port; {@code host}
 * joins a second bridge network with outbound NAT. On both, containers cannot reach each other
 * (inter-container communication is off), nor open connections to the host (see
 * {@code closeHostTo}); on the second, nor to cloud metadata or private networks (see
 * {@code closeInternalTo}). Network mode {@code none} would leave the orchestrator no way to reach the
 * workspace API over TCP.
 *
 * <p>Lifecycle: start creates (or adopts, on a name conflict) and starts the container and waits
 * until its {@code /health} answers; stop stops it with a grace period and keeps the container
 * and volume, so a resume starts the same container; reset and destroy remove the container and
 * the volume (the next start makes a fresh home); {@link #keepWarm} keeps started containers
 * ready for new tenants. Threading as {@link Backend} says.
 */
public final class DockerBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(DockerBackend.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static final String MANAGED_BY = "managed-by";
  static final String ORCHESTRATOR = "sandcastle.orchestrator";
  static final String TENANT = "sandcastle.tenant";
  static final String USER = "sandcastle.user";
  static final String POLICY = "sandcastle.policy";
  static final String CONTEXT = "sandcastle.context";
  static final String SPARE = "sandcastle.spare";
  static final String KEY_VARIABLE = "SANDCASTLE_API_KEY";
  static final int UID = 1000;
  static final String HOME = "/home/user";

  /**
   * @param host the engine: {@code unix:///var/run/docker.sock} or {@code tcp://host:port}
   * @param image the default image (a policy's own image, from the allow-list, wins)
   * @param runtime the OCI runtime of policies that name none, e.g. {@code runsc}; "" for the engine's default
   * @param network the internal network of workspaces without network access; {@code <network>-egress} is the one with
   * @param orchestratorId tells this orchestrator's containers from other orchestrators' on the same engine: [a-z0-9]{1,12}
   * @param port the port the image's workspace server listens on
   * @param readyTimeout how long a started container has to answer {@code /health}
   * @param stopGrace how long a stopping container has between SIGTERM and SIGKILL
   * @param bootsAtOnce how many containers may boot at once (tenants' and spares'; see {@link WarmPool})
   */
  public record Settings(String host, String image, String runtime, String network, String orchestratorId, int port,
      Duration readyTimeout, Duration stopGrace, int bootsAtOnce) {
    /** Settings that boot as many containers at once as this machine has cores. */
    public Settings(String host, String image, String runtime, String network, String orchestratorId, int port, Duration readyTimeout,
        Duration stopGrace) {
      this(host, image, runtime, network, orchestratorId, port, readyTimeout, stopGrace, Runtime.getRuntime().availableProcessors());
    }

    public Settings {
      if (!orchestratorId.matches("[a-z0-9]{1,12}")) {
        throw new IllegalArgumentException("the orchestrator id is 1-12 of [a-z0-9]");
      }
      if (!network.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}")) {
        throw new IllegalArgumentException("not a network name: " + network);
      }
      runtime = runtime == null ? "" : runtime.trim();
    }
  }

  private final Settings settings;
  private final DockerClient docker;
  private final HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instance.Remote> running = new ConcurrentHashMap<>();
  private final WarmPool pool;
  private volatile boolean closed;
  // Whether the engine caps volumes (null until the first capped volume was asked for); an engine
  // that refused once is not asked again.
  private volatile Boolean volumeQuotas;

  /** How many started, ready containers wait in the warm pool (for benchmarks and tests). */
  public int readySpares() {
    return pool.ready();
  }

  /**
   * Connects to the engine, checks its API version and makes the two networks.
   *
   * @throws Unavailable when the engine cannot be reached or is too old
   */
  public DockerBackend(Settings settings) {
    this.settings = settings;
    this.docker = new DockerClient(settings.host());
    this.pool = new WarmPool(settings.bootsAtOnce(), this::newSpare, spare -> removeQuietly(spare.id(), spare.name() + "-home"));
    try {
      String version = docker.checkVersion();
      ensureNetwork(settings.network(), true);
      ensureNetwork(egressNetwork(), false);
      if (!docker.hasImage(settings.image())) {
        log.warn("the sandbox image {} is not in the Docker engine: build it with 'sandcastle image build'", settings.image());
      }
      log.info("docker backend: engine {} at {}, image {}, networks {} (internal) and {}", version, settings.host(), settings.image(),
          settings.network(), egressNetwork());
    } catch (RuntimeException e) {
      docker.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return "docker";
  }

  /**
   * Keeps {@code count} containers of {@code policy} started and ready ahead of demand: a new
   * tenant of that very policy (equal in every field, so also in its runtime: a spare made under
   * one runtime never serves a policy that names another) takes one (renamed to the tenant's name; its first command then
   * costs no container start) and the pool refills in the background. A spare has a fresh home
   * volume and key that no tenant has had. Docker cannot relabel a container, so a taken spare
   * keeps the labels it was made with (managed-by, orchestrator, policy, {@value #SPARE}) and is
   * known by its name from then on. Call before the tenant service starts; filling begins after
   * reconciling. Spares are removed on {@link #close}.
   */
  public void keepWarm(Policy policy, int count) {
    pool.keep(policy, count);
  }

  private Instance.Remote newSpare() {
    Policy policy = pool.policy();
    String name = "sc-" + settings.orchestratorId() + "-spare-" + HexFormat.of().formatHex(bytes(6));
    Map<String, String> labels = ownLabels();
    labels.put(SPARE, "true");
    labels.put(POLICY, policy.id());
    createHome(name + "-home", labels, policy);
    ObjectNode spec = spec(labels, name + "-home", policy, newKey());
    String id;
    try {
      id = createContainer(name, spec, policy);
      docker.start(id);
      JsonNode state = docker.inspect(id).orElseThrow(() -> new Unavailable("a spare container vanished"));
      Instance.Remote instance = instance(state);
      awaitReady(instance, state);
      prime(instance);
      return instance;
    } catch (RuntimeException e) {
      removeQuietly(name, name + "-home");
      throw e;
    }
  }

  /**
   * Sends a spare the requests that load the code of a first command (routing, authentication,
   * JSON, the command and file paths) without running anything or leaving a trace in its
   * history: a listing, a refused command and the status of none. Its first real command then
   * takes milliseconds instead of a cold server's ~200 ms.
   */
  private void prime(Instance.Remote spare) {
    List<HttpRequest> requests = List.of(
        HttpRequest.newBuilder(spare.base().resolve("/files/list?directory=.")).GET(),
        HttpRequest.newBuilder(spare.base().resolve("/execute?wait=1")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"\"}")),
        HttpRequest.newBuilder(spare.base().resolve("/execute/none/status")).GET())
        .stream().map(b -> b.header("Authorization", "Bearer " + spare.apiKey()).timeout(Duration.ofSeconds(10)).build()).toList();
    for (HttpRequest request : requests) {
      try {
        probe.send(request, HttpResponse.BodyHandlers.discarding());
      } catch (java.io.IOException e) {
        return; // not worth failing the spare for
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /**
   * Makes a ready spare the tenant's: renamed to the tenant's container name. Empty when it cannot
   * be (it stopped meanwhile, or vanished); it is removed then.
   */
  private Optional<Instance.Remote> takeSpare(Instance.Remote spare, Tenant tenant) {
    try {
      String name = containerName(tenant.id());
      docker.rename(spare.id(), name);
      JsonNode state = docker.inspect(spare.id()).orElseThrow(() -> new Unavailable("a spare container vanished"));
      if (state.path("State").path("Running").asBoolean(false)) {
        return Optional.of(new Instance.Remote(spare.id(), name, spare.base(), spare.apiKey()));
      }
      removeContainerAndHome(state);
    } catch (RuntimeException e) {
      log.warn("a spare container could not be taken ({}); removing it", e.getMessage());
      removeQuietly(spare.id(), spare.name() + "-home");
    }
    return Optional.empty();
  }

  private void removeQuietly(String container, String volume) {
    try {
      docker.remove(container);
      docker.removeVolume(volume);
    } catch (RuntimeException e) {
      log.warn("cannot remove {} and {}: {}", container, volume, e.getMessage());
    }
  }

  private String egressNetwork() {
    return settings.network() + "-egress";
  }

  private void ensureNetwork(String name, boolean internal) {
    Optional<JsonNode> existing = docker.network(name);
    if (existing.isPresent()) {
      if (internal && !existing.get().path("Internal").asBoolean(false)) {
        throw new Unavailable("the Docker network '" + name + "' exists but is not internal: workspaces on it could reach the"
            + " internet; remove it (docker network rm " + name + ") or name another with --docker-network");
      }
    } else {
      ObjectNode spec = JSON.createObjectNode().put("Name", name).put("Driver", "bridge").put("Internal", internal)
          .put("CheckDuplicate", true);
      spec.putObject("Options").put("com.docker.network.bridge.enable_icc", "false")
          .put("com.docker.network.bridge.name", "scbr" + sha256(name).substring(0, 8));
      spec.putObject("Labels").put(MANAGED_BY, "sandcastle").put(ORCHESTRATOR, settings.orchestratorId()); // its maker; others may use it too
      try {
        docker.createNetwork(spec);
      } catch (DockerClient.Failure e) {
        if (e.status != 409) {
          throw e; // 409: another orchestrator made it meanwhile
        }
      }
      existing = docker.network(name);
    }
    existing.ifPresent(network -> closeHostTo(network));
  }

  /**
   * A bridge network's gateway is the host itself: without a rule, a workspace could open
   * connections to every service of the host that listens on all addresses (the orchestrator,
   * a database, an engine on TCP). Where the engine is on this machine and iptables can be run
   * (as root), connections that containers on the bridge open to the host are dropped; replies
   * to the orchestrator's own connections pass. Otherwise a warning says what is exposed.
   */
  private void closeHostTo(JsonNode network) {
    String bridge = network.path("Options").path("com.docker.network.bridge.name").asString("");
    if (bridge.isEmpty()) {
      bridge = "br-" + network.path("Id").asString().substring(0, 12);
    }
    String warning = "workspaces on the Docker network " + network.path("Name").asString() + " can connect to services listening on"
        + " all addresses of this host; ";
    if (!settings.host().startsWith("unix://")) {
      log.warn(warning + "the engine is remote: drop NEW connections from its bridge in the engine host's INPUT chain");
      return;
    }
    List<String> rule = List.of("INPUT", "-i", bridge, "-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment",
        "sandcastle: no connections from workspaces to the host", "-j", "DROP");
    try {
      if (iptables("-C", rule) != 0 && iptables("-I", rule) != 0) {
        log.warn(warning + "iptables refused the rule that closes them (run as root)");
      }
    } catch (java.io.IOException e) {
      log.warn(warning + "iptables is missing ({})", e.getMessage());
    }
    if (!network.path("Internal").asBoolean(false)) {
      closeInternalTo(network.path("Name").asString(), bridge);
    }
  }

  /** What workspaces with network access may not reach: link-local (cloud metadata), private and carrier-grade NAT ranges. */
  static final List<String> PRIVATE_V4 = List.of("169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10");

  /**
   * The bridge with outbound NAT would also route to cloud metadata (169.254.169.254) and to every
   * private address the host reaches. Under the same conditions as {@link #closeHostTo}, rules in
   * the {@code DOCKER-USER} chain drop new connections from the bridge to {@link #PRIVATE_V4};
   * DNS to the host's own resolvers passes (the engine's embedded DNS forwards queries from the
   * container's network namespace, and the host's resolver is often on a private address). Like
   * the host rule, the rules stay when the backend closes (another orchestrator may share the
   * network); {@code -C} first keeps them from piling up.
   */
  private void closeInternalTo(String name, String bridge) {
    String warning = "workspaces on the Docker network " + name + " can connect to cloud metadata (169.254.169.254) and private"
        + " networks; ";
    if (!settings.host().startsWith("unix://")) {
      log.warn(warning + "the engine is remote: drop NEW connections from its bridge to them in the engine host's DOCKER-USER chain");
      return;
    }
    try {
      boolean inserted = false;
      for (String range : PRIVATE_V4) {
        List<String> rule = List.of("DOCKER-USER", "-i", bridge, "-d", range, "-m", "conntrack", "--ctstate", "NEW", "-m", "comment",
            "--comment", "sandcastle: no connections from workspaces to metadata or private networks", "-j", "DROP");
        if (iptables("-C", rule) != 0) {
          if (iptables("-I", rule) != 0) {
            log.warn(warning + "iptables refused the rules that close them (run as root, with the engine managing iptables)");
            return;
          }
          inserted = true;
        }
      }
      for (String resolver : hostResolvers()) {
        for (String protocol : List.of("udp", "tcp")) {
          List<String> rule = List.of("DOCKER-USER", "-i", bridge, "-d", resolver + "/32", "-p", protocol, "--dport", "53", "-m", "comment",
              "--comment", "sandcastle: workspaces may ask the host's resolvers", "-j", "RETURN");
          if (inserted) {
            iptables("-D", rule); // above the drops just inserted, or the resolver is out of reach
          }
          if ((inserted || iptables("-C", rule) != 0) && iptables("-I", rule) != 0) {
            log.warn("iptables refused the rule that lets workspaces on {} ask the resolver {}: names may not resolve", name, resolver);
          }
        }
      }
    } catch (java.io.IOException e) {
      log.warn(warning + "iptables is missing ({})", e.getMessage());
    }
  }

  /** The IPv4 name servers of this host that are not on loopback (behind systemd-resolved's stub, its upstream servers). */
  static List<String> hostResolvers() {
    List<String> resolvers = new java.util.ArrayList<>();
    for (String file : List.of("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")) {
      try {
        for (String line : Files.readAllLines(Path.of(file))) {
          String[] words = line.trim().split("\\s+");
          if (words.length >= 2 && words[0].equals("nameserver") && words[1].matches("\\d{1,3}(\\.\\d{1,3}){3}")
              && !words[1].startsWith("127.") && !resolvers.contains(words[1])) {
            resolvers.add(words[1]);
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        // no such file: nothing to add
      }
    }
    return resolvers;
  }

  private static int iptables(String action, List<String> rule) throws java.io.IOException {
    List<String> command = new java.util.ArrayList<>(List.of(
        Files.isExecutable(Path.of("/usr/sbin/iptables")) ? "/usr/sbin/iptables" : "iptables", "-w", "5", action));
    command.addAll(rule);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      return process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return -1;
    }
  }

  /** An orchestrator id (10 hex digits) derived from something unique to one server, e.g. its data directory. */
  public static String idOf(String unique) {
    return sha256(unique).substring(0, 10);
  }

  /** The container's (and, with {@code -home}, the volume's) name: {@code sc-<oid>-<16 hex of the tenant id's hash>}. */
  String containerName(String tenantId) {
    return "sc-" + settings.orchestratorId() + "-" + sha256(settings.orchestratorId() + "/" + tenantId).substring(0, 16);
  }

  private String volumeName(String tenantId) {
    return containerName(tenantId) + "-home";
  }

  private Map<String, String> ownLabels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, "sandcastle");
    labels.put(ORCHESTRATOR, settings.orchestratorId());
    return labels;
  }

  private Map<String, String> labels(Tenant tenant) {
    Map<String, String> labels = ownLabels();
    labels.put(TENANT, tenant.id());
    labels.put(USER, tenant.key().userId());
    labels.put(POLICY, tenant.key().policyId());
    labels.put(CONTEXT, tenant.key().contextId());
    return labels;
  }

  /**
   * Whether this container (as inspected) is this orchestrator's, for this tenant: ours by its
   * labels, the tenant's by its name and by its tenant label (a taken spare has none).
   */
  private boolean owns(JsonNode container, String tenantId) {
    JsonNode labels = container.path("Config").path("Labels");
    String tenantLabel = labels.path(TENANT).asString("");
    return ours(labels) && containerName(tenantId).equals(container.path("Name").asString("").replaceFirst("^/", ""))
        && (tenantLabel.equals(tenantId) || (tenantLabel.isEmpty() && labels.path(SPARE).asString("").equals("true")));
  }

  private boolean ours(JsonNode labels) {
    return "sandcastle".equals(labels.path(MANAGED_BY).asString(null)) && settings.orchestratorId().equals(labels.path(ORCHESTRATOR).asString(null));
  }

  /** The name of the volume mounted at the home (a taken spare's is not named after the tenant). */
  static Optional<String> homeVolume(JsonNode container) {
    for (JsonNode mount : container.path("Mounts")) {
      if (HOME.equals(mount.path("Destination").asString("")) && "volume".equals(mount.path("Type").asString(""))) {
        return Optional.of(mount.path("Name").asString());
      }
    }
    return Optional.empty();
  }

  private void removeContainerAndHome(JsonNode container) {
    docker.remove(container.path("Id").asString());
    homeVolume(container).ifPresent(docker::removeVolume);
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    String name = containerName(tenant.id());
    Optional<JsonNode> existing = docker.inspect(name);
    if (existing.isPresent() && !owns(existing.get(), tenant.id())) {
      throw new Unavailable("a container named " + name + " exists that this orchestrator did not create; remove it");
    }
    if (existing.isEmpty()) {
      return startNew(tenant, policy, name);
    }
    JsonNode state = existing.get();
    if (state.path("State").path("Running").asBoolean(false) && underRuntime(state, runtime(policy))) {
      Instance.Remote instance = instance(state);
      awaitReady(instance, state);
      running.put(tenant.id(), instance);
      return instance;
    }
    try (WarmPool.Slot slot = pool.slot(settings.readyTimeout())) {
      String id = state.path("Id").asString();
      if (!underRuntime(state, runtime(policy))) {
        // Made under another runtime than the policy names now (it changed while the tenant was
        // stopped): made again on the same home, so the tenant never runs outside its policy's runtime.
        log.info("the container of tenant {} runs under '{}', its policy names '{}': recreating it", tenant.id(),
            state.path("HostConfig").path("Runtime").asString(""), runtime(policy));
        docker.remove(id);
        id = create(tenant, policy, name, homeVolume(state).orElse(volumeName(tenant.id())));
      }
      try {
        docker.start(id);
      } catch (DockerClient.Failure e) {
        // A container that cannot start any more (its image was removed, a network vanished):
        // make it again on the same volume; the home stays.
        log.warn("the container of tenant {} did not start ({}); recreating it", tenant.id(), e.getMessage());
        docker.remove(id);
        id = create(tenant, policy, name, homeVolume(state).orElse(volumeName(tenant.id())));
        docker.start(id);
      }
      return ready(tenant, id);
    }
  }

  /**
   * A tenant without a container: a warm spare when the tenant is new and one of its policy is
   * ready or soon is, else a container of its own, booted once a slot is free (see {@link
   * WarmPool}). A tenant that had a container before (removed by {@code sandcastle docker prune})
   * gets its own again, on the home volume named after it, never a spare's empty home.
   */
  private Instance startNew(Tenant tenant, Policy policy, String name) {
    while (true) {
      WarmPool.Claim claim = tenant.instanceId().isEmpty() ? pool.claim(policy, settings.readyTimeout())
          : new WarmPool.Own(pool.slot(settings.readyTimeout()));
      switch (claim) {
        case WarmPool.Spare(Instance.Remote spare) -> {
          Optional<Instance.Remote> taken = takeSpare(spare, tenant);
          if (taken.isPresent()) {
            running.put(tenant.id(), taken.get());
            return taken.get();
          }
        }
        case WarmPool.Own(WarmPool.Slot slot) -> {
          try (slot) {
            String id = create(tenant, policy, name);
            docker.start(id);
            return ready(tenant, id);
          }
        }
      }
    }
  }

  /** Waits for the started container to answer and records it as the tenant's. */
  private Instance.Remote ready(Tenant tenant, String id) {
    JsonNode state = docker.inspect(id).orElseThrow(() -> new Unavailable("the workspace container vanished while starting"));
    Instance.Remote instance = instance(state);
    awaitReady(instance, state);
    running.put(tenant.id(), instance);
    return instance;
  }

  private String create(Tenant tenant, Policy policy, String name) {
    return create(tenant, policy, name, volumeName(tenant.id()));
  }

  /** Creates the tenant's volume (if new) and container; on a name conflict, the container already there is adopted. */
  private String create(Tenant tenant, Policy policy, String name, String volume) {
    createHome(volume, labels(tenant), policy);
    ObjectNode spec = spec(labels(tenant), volume, policy, newKey());
    try {
      return createContainer(name, spec, policy);
    } catch (DockerClient.Failure e) {
      if (e.status == 409) {
        JsonNode other = docker.inspect(name).orElseThrow(() -> e);
        if (owns(other, tenant.id())) {
          return other.path("Id").asString();
        }
      }
      throw e;
    }
  }

  /** Creates a container; an image the engine does not have is the operator's to build (one round trip fewer than asking first). */
  private String createContainer(String name, ObjectNode spec, Policy policy) {
    try {
      return docker.create(name, spec);
    } catch (DockerClient.Failure e) {
      if (e.status == 404 && String.valueOf(e.getMessage()).contains("image")) {
        throw new Unavailable("the sandbox image " + image(policy) + " is missing from the Docker engine; build it with 'sandcastle image build'");
      }
      throw e;
    }
  }

  /**
   * Makes a home volume (if new) capped at the policy's storage; where the engine has no quota
   * support, uncapped, with one warning for the server's life.
   */
  private void createHome(String volume, Map<String, String> labels, Policy policy) {
    if (!Boolean.FALSE.equals(volumeQuotas)) {
      try {
        docker.createVolume(volume, labels, policy.storageBytes());
        volumeQuotas = true;
        return;
      } catch (DockerClient.Failure e) {
        if (!String.valueOf(e.getMessage()).contains("no quota support")) {
          throw e;
        }
        volumeQuotas = false;
        log.warn("storage limits are not enforced: this Docker engine cannot cap a volume's size ({}); a workspace can fill the"
            + " engine's disk. Put its data root on XFS mounted with prjquota to enforce them", e.getMessage());
      }
    }
    docker.createVolume(volume, labels, 0);
  }

  /** Whether home volumes are capped at the policy's storage: unknown until the first volume was made. */
  @Override
  public StorageLimits storageLimits() {
    Boolean quotas = volumeQuotas;
    return quotas == null ? StorageLimits.UNKNOWN : quotas ? StorageLimits.ENFORCED : StorageLimits.NOT_ENFORCED;
  }

  private String image(Policy policy) {
    return policy.image().isEmpty() ? settings.image() : policy.image();
  }

  /** The OCI runtime of the policy's containers: its own, else the server's; "" for the engine's default. */
  private String runtime(Policy policy) {
    return policy.runtime().isEmpty() ? settings.runtime() : policy.runtime();
  }

  /**
   * Whether the container (as inspected) runs under {@code runtime}. "" asks for no runtime in
   * particular, which any container satisfies: the engine reports its default by name ({@code runc}),
   * and a container left under a named one is no less confined.
   */
  private static boolean underRuntime(JsonNode container, String runtime) {
    return runtime.isEmpty() || runtime.equals(container.path("HostConfig").path("Runtime").asString(""));
  }

  /** The container's creation request (Engine API {@code POST /containers/create}). */
  ObjectNode spec(Map<String, String> labels, String volume, Policy policy, String key) {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("Image", image(policy));
    spec.put("User", UID + ":" + UID);
    spec.put("Hostname", "sandcastle");
    ArrayNode env = spec.putArray("Env");
    policy.env().forEach((k, v) -> {
      if (!k.startsWith("SANDCASTLE_") && !k.startsWith("OPEN_TERMINAL_") && k.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        env.add(k + "=" + v);
      }
    });
    env.add(KEY_VARIABLE + "=" + key);
    labels.forEach(spec.putObject("Labels")::put);
    spec.putObject("ExposedPorts").putObject(settings.port() + "/tcp");
    spec.put("StopTimeout", (int) settings.stopGrace().toSeconds());
    ObjectNode host = spec.putObject("HostConfig");
    host.put("Init", true); // the workspace's orphans are reaped
    host.put("ReadonlyRootfs", true);
    host.putObject("Tmpfs").put("/tmp", "rw,nosuid,nodev,size="
        + dev.sandcastle.core.sandbox.SandboxPolicy.tmpBytesFor(policy.limits()));
    ArrayNode mounts = host.putArray("Mounts");
    mounts.addObject().put("Type", "volume").put("Source", volume).put("Target", HOME);
    var limits = policy.limits();
    if (limits.memoryBytes() > 0) {
      host.put("Memory", limits.memoryBytes());
      host.put("MemorySwap", limits.memoryBytes()); // no swap on top
    }
    if (limits.cpus() > 0) {
      host.put("NanoCpus", (long) (limits.cpus() * 1e9));
    }
    if (limits.pids() > 0) {
      host.put("PidsLimit", limits.pids());
    }
    host.putArray("CapDrop").add("ALL");
    host.putArray("SecurityOpt").add("no-new-privileges");
    host.put("NetworkMode", policy.network().equals("host") ? egressNetwork() : settings.network());
    if (!runtime(policy).isEmpty()) {
      host.put("Runtime", runtime(policy));
    }
    host.putObject("RestartPolicy").put("Name", "no");
    host.putObject("LogConfig").put("Type", "json-file").putObject("Config").put("max-size", "1m").put("max-file", "1");
    return spec;
  }

  private String newKey() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return "sc-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Where the container's workspace server listens, and its key (from its environment). */
  private Instance.Remote instance(JsonNode state) {
    String id = state.path("Id").asString();
    String name = state.path("Name").asString().replaceFirst("^/", "");
    String ip = "";
    JsonNode networks = state.path("NetworkSettings").path("Networks");
    for (String network : List.of(settings.network(), egressNetwork())) {
      String address = networks.path(network).path("IPAddress").asString("");
      if (!address.isEmpty()) {
        ip = address;
        break;
      }
    }
    if (ip.isEmpty()) {
      throw new Unavailable("the workspace container " + name + " has no address on " + settings.network());
    }
    String key = "";
    for (JsonNode entry : state.path("Config").path("Env")) {
      String text = entry.asString("");
      if (text.startsWith(KEY_VARIABLE + "=")) {
        key = text.substring(KEY_VARIABLE.length() + 1);
      }
    }
    if (key.isEmpty()) {
      throw new Unavailable("the workspace container " + name + " has no API key");
    }
    return new Instance.Remote(id, name, URI.create("http://" + ip + ":" + settings.port()), key);
  }

  /** Polls {@code /health} until it answers 200, the container exits, or the deadline passes. */
  private void awaitReady(Instance.Remote instance, JsonNode state) {
    long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
    HttpRequest health = HttpRequest.newBuilder(instance.base().resolve("/health")).timeout(Duration.ofSeconds(2)).GET().build();
    for (int attempt = 0; ; attempt++) {
      try {
        if (probe.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Unavailable("interrupted while waiting for the workspace to start");
      }
      if (closed) {
        throw new Unavailable("the docker backend is closing");
      }
      if (System.nanoTime() > deadline) {
        throw new Unavailable("the workspace container " + instance.name() + " did not answer /health within "
            + settings.readyTimeout().toSeconds() + " s");
      }
      if (attempt % 100 == 99) {
        JsonNode now = docker.inspect(instance.id()).orElse(state);
        if (!now.path("State").path("Running").asBoolean(false)) {
          throw new Unavailable("the workspace container " + instance.name() + " exited (status "
              + now.path("State").path("ExitCode").asInt() + ") before it was ready; see docker logs " + instance.name());
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Unavailable("interrupted while waiting for the workspace to start");
      }
    }
  }

  @Override
  public void stop(Tenant tenant) {
    running.remove(tenant.id());
    Optional<JsonNode> container = docker.inspect(containerName(tenant.id()));
    if (container.isPresent() && owns(container.get(), tenant.id())) {
      docker.stop(container.get().path("Id").asString(), settings.stopGrace());
    }
  }

  @Override
  public void reset(Tenant tenant) {
    removeAll(tenant.id());
  }

  @Override
  public void destroy(Tenant tenant) {
    removeAll(tenant.id());
  }

  /** Removes the tenant's container and its home volume. */
  private void removeAll(String tenantId) {
    running.remove(tenantId);
    Optional<JsonNode> container = docker.inspect(containerName(tenantId));
    if (container.isPresent() && owns(container.get(), tenantId)) {
      removeContainerAndHome(container.get());
    }
    docker.removeVolume(volumeName(tenantId));
  }

  @Override
  public Map<String, Instance> reconcile(Map<String, Tenant> known) {
    Map<String, String> tenantByName = new HashMap<>();
    known.keySet().forEach(t -> tenantByName.put(containerName(t), t));
    Map<String, Instance> adopted = new HashMap<>();
    Set<String> homesInUse = new java.util.HashSet<>();
    for (JsonNode summary : docker.list(ownLabels())) {
      String id = summary.path("Id").asString();
      String name = summary.path("Names").path(0).asString("").replaceFirst("^/", "");
      String tenantId = tenantByName.get(name);
      JsonNode state = docker.inspect(id).orElse(null);
      if (state == null) {
        continue;
      }
      if (tenantId == null || !owns(state, tenantId)) {
        // A container of a deleted tenant, or a spare of an earlier run.
        log.info("reaping container {} ({}) that no known tenant owns", name, id.substring(0, Math.min(12, id.length())));
        removeContainerAndHome(state);
        continue;
      }
      homeVolume(state).ifPresent(homesInUse::add);
      if (!state.path("State").path("Running").asBoolean(false)) {
        continue; // stopped: resumed on the tenant's next request
      }
      try {
        Instance.Remote instance = instance(state);
        awaitReady(instance, state);
        running.put(tenantId, instance);
        adopted.put(tenantId, instance);
      } catch (RuntimeException e) {
        log.warn("container {} of tenant {} runs but cannot be adopted ({}); stopping it", name, tenantId, e.getMessage());
        docker.stop(id, settings.stopGrace());
      }
    }
    // Homes no container uses and no known tenant is named for (a crash between removing a
    // container and its volume). A stopped tenant's home outlives its removed container.
    Set<String> tenantHomes = new java.util.HashSet<>();
    known.keySet().forEach(t -> tenantHomes.add(volumeName(t)));
    for (String volume : docker.volumes(ownLabels())) {
      if (!homesInUse.contains(volume) && !tenantHomes.contains(volume)) {
        log.info("reaping volume {} that no known tenant owns", volume);
        try {
          docker.removeVolume(volume);
        } catch (DockerClient.Failure e) {
          log.warn("cannot remove volume {}: {}", volume, e.getMessage());
        }
      }
    }
    pool.enable();
    return adopted;
  }

  @Override
  public Set<String> running() {
    return Set.copyOf(running.keySet());
  }

  /**
   * Removes the warm spares this backend made; the tenants' containers keep running (a restarted
   * orchestrator adopts them, so an upgrade does not kill anyone's work) and the log says how many.
   * {@code sandcastle docker prune} removes those too.
   */
  @Override
  public void close() {
    closed = true;
    int spares = pool.drain();
    int tenants = running.size();
    log.info("docker backend: removed {} warm spare{}; leaving {} tenant container{} running for the next start to adopt"
        + " (sandcastle docker prune removes them)", spares, spares == 1 ? "" : "s", tenants, tenants == 1 ? "" : "s");
    probe.close();
    docker.close();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
