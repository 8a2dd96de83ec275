package dev.sandcastle.app;

import static dev.sandcastle.app.Http.output;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.app.image.ImageBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The docker backend end to end, through the orchestrator's HTTP API: each tenant in a container
 * of the sandbox image. Needs a Docker engine (bin/docker-up) and the image (sandcastle image
 * build), as CI provides them; skip it locally with -DexcludedGroups=docker. SANDCASTLE_IMAGE names
 * another image to test (e.g. one built with {@code image build --tag}).
 */
@Tag("docker")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerBackendTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String IMAGE = System.getenv().getOrDefault("SANDCASTLE_IMAGE", ImageBuilder.DEFAULT_TAG);
  static Path data;
  static Orchestrator server;
  static Http admin;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Path.of("/var/run/docker.sock")).as("a Docker engine (run bin/docker-up)").exists();
    assertThat(docker("image", "inspect", "--format", "{{.Id}}", IMAGE).trim())
        .as("the sandbox image (run: ./sandcastle image build)").startsWith("sha256:");
    data = Files.createTempDirectory("sandcastle-docker");
    server = start(data);
    admin = new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
  }

  static Orchestrator start(Path dataDir) {
    return start(dataDir, "0", "none");
  }

  static Orchestrator start(Path dataDir, String warmPool, String network) {
    return start(dataDir, warmPool, network, Map.of());
  }

  static Orchestrator start(Path dataDir, String warmPool, String network, Map<Setting, String> more) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.NETWORK, network);
    settings.put(Setting.WARM_POOL, warmPool);
    settings.put(Setting.HOST, "0.0.0.0"); // reachable on the bridge's gateway too: the workspaces must still not get in
    settings.put(Setting.DATA_DIR, dataDir.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, ADMIN_KEY);
    settings.put(Setting.BACKEND, "docker");
    settings.put(Setting.MEMORY, "384m");
    settings.put(Setting.PIDS, "300");
    settings.put(Setting.CPUS, "1");
    settings.put(Setting.STORAGE, "64m");
    settings.put(Setting.SWEEP_INTERVAL, "1");
    settings.put(Setting.IMAGE, IMAGE);
    settings.putAll(more);
    return Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
        admin.delete("/api/v1/tenants/" + tenant.path("id").asString());
      }
      server.close();
    }
  }

  static Http user(String id) {
    return new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", id));
  }

  @Test
  @Order(1)
  void twoTenantsEachRunInAContainerOfTheirOwn() throws Exception {
    Http alice = user("alice");
    Http bob = user("bob");
    assertThat(output(alice.run("echo hello from $(id -un) uid $(id -u) in $PWD"))).isEqualTo("hello from user uid 1000 in /home/user\n");
    assertThat(output(bob.run("echo bob here"))).isEqualTo("bob here\n");

    assertThat(alice.post("/files/write", Map.of("path", "notes.txt", "content", "alice's notes")).status()).isEqualTo(200);
    assertThat(alice.get("/files/read?path=notes.txt").json().path("content").asString()).isEqualTo("alice's notes");
    assertThat(bob.get("/files/read?path=notes.txt").status()).as("bob has a home of his own").isEqualTo(404);
    assertThat(output(alice.run("cat notes.txt"))).isEqualTo("alice's notes");

    JsonNode tenants = admin.get("/api/v1/tenants").json();
    assertThat(tenants).hasSize(2);
    for (JsonNode tenant : tenants) {
      assertThat(tenant.path("backend").asString()).isEqualTo("docker");
      assertThat(tenant.path("status").asString()).isEqualTo("running");
      assertThat(tenant.path("instance_name").asString()).matches("sc-[0-9a-f]{10}-[0-9a-f]{16}");
      String labels = docker("inspect", "--format", "{{json .Config.Labels}}", tenant.path("instance_id").asString());
      assertThat(labels).contains("\"managed-by\":\"sandcastle\"", "\"sandcastle.tenant\":\"" + tenant.path("id").asString() + "\"",
          "\"sandcastle.user\":\"" + tenant.path("user_id").asString() + "\"", "\"sandcastle.policy\":\"default\"",
          "\"sandcastle.context\":\"default\"");
    }
  }

  @Test
  @Order(2)
  void theContainerHasThePolicysLimitsNoNetworkAndAReadOnlySystem() {
    Http alice = user("alice");
    String limits = output(alice.run("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max;"
        + " cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"));
    assertThat(limits).isEqualTo((384L << 20) + "\n300\n");
    JsonNode egress = alice.run("curl -sS -m 3 -o /dev/null http://1.1.1.1/ 2>&1; echo exit=$?");
    assertThat(output(egress)).as("no route out").doesNotContain("exit=0");
    String bobHost = "";
    for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
      if (tenant.path("user_id").asString().equals("bob")) {
        bobHost = tenant.path("host").asString();
      }
    }
    assertThat(bobHost).isNotEmpty();
    assertThat(output(alice.run("curl -sS -m 2 -o /dev/null http://" + bobHost + ":8000/health 2>&1; echo exit=$?")))
        .as("no way to another tenant's container").doesNotContain("exit=0");
    String gateway = docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", "sandcastle").trim();
    assertThat(output(alice.run("curl -sS -m 2 -o /dev/null http://" + gateway + ":" + server.port() + "/health 2>&1; echo exit=$?")))
        .as("no connection to the host, even to the orchestrator").doesNotContain("exit=0");
    assertThat(output(alice.run("touch /usr/x 2>&1; echo exit=$?"))).contains("Read-only file system", "exit=1");
    assertThat(output(alice.run("touch /tmp/x && echo tmp writable"))).isEqualTo("tmp writable\n");
    assertThat(output(alice.run("grep -E '^(CapEff|NoNewPrivs)' /proc/self/status")))
        .contains("CapEff:\t0000000000000000").containsPattern("NoNewPrivs:\\s+1");
  }

  /**
   * The home volume is capped at the policy's storage where the engine can (XFS with project
   * quotas under its volumes); where it cannot, the volume is made without a cap and the admin
   * status says the limits are not enforced. Which of the two is up to the machine: the test asks
   * the engine the same way the backend does and checks the matching outcome.
   */
  @Test
  @Order(3)
  void theHomeIsCappedAtThePolicysStorageWhereTheEngineCan() {
    String probe = "sandcastle-quota-probe-" + ProcessHandle.current().pid();
    boolean quotas = docker("volume", "create", "--opt", "size=1m", probe).trim().equals(probe);
    docker("volume", "rm", "-f", probe);
    String volume = docker("inspect", "--format", "{{range .Mounts}}{{if eq .Destination \"/home/user\"}}{{.Name}}{{end}}{{end}}",
        tenant("alice").path("instance_id").asString()).trim();
    String options = docker("volume", "inspect", "--format", "{{json .Options}}", volume).trim();
    String status = admin.get("/api/v1/status").json().path("storage_limits").asString();
    if (quotas) {
      assertThat(options).contains("\"size\":\"" + (64L << 20) + "\"");
      assertThat(status).isEqualTo("enforced");
      String written = output(user("alice").run("head -c 100M /dev/zero > big.bin 2>&1; echo exit=$?; rm -f big.bin"));
      assertThat(written).as("writing past the cap fails").doesNotContain("exit=0");
    } else {
      assertThat(options).as("an engine without quotas gets an uncapped volume").doesNotContain("size");
      assertThat(status).isEqualTo("not_enforced");
    }
  }

  @Test
  @Order(4)
  void aTerminalOpensThroughTheOrchestrator() throws Exception {
    Http alice = user("alice");
    String id = alice.post("/api/terminals", Map.of()).json().path("id").asString();
    Socket socket = new Socket("ws://127.0.0.1:" + server.port() + "/api/terminals/" + id + "?user_id=alice");
    socket.text("{\"type\":\"auth\",\"token\":\"" + ADMIN_KEY + "\"}");
    socket.bytes("echo $((6*7)) $(cat notes.txt)\n");
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> socket.received().contains("42 alice's notes"));
    socket.bytes("exit\n");
    assertThat(socket.closeCode()).isEqualTo(1000);
  }

  @Test
  @Order(5)
  void anIdleWorkspaceStopsAndResumesWithItsFiles() {
    assertThat(admin.post("/api/v1/policies", Map.of("id", "brief", "idle_timeout_seconds", 2)).status()).isEqualTo(201);
    Http carol = user("carol");
    assertThat(carol.post("/p/brief/files/write", Map.of("path", "kept.txt", "content", "still here")).status()).isEqualTo(200);
    String container = tenant("carol").path("instance_id").asString();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> tenant("carol").path("status").asString().equals("stopped"));
    assertThat(docker("inspect", "--format", "{{.State.Running}}", container).trim()).isEqualTo("false");

    assertThat(output(carol.run("/p/brief", "cat kept.txt"))).isEqualTo("still here");
    assertThat(tenant("carol").path("status").asString()).isEqualTo("running");
    assertThat(tenant("carol").path("instance_id").asString()).as("the same container, started again").isEqualTo(container);
  }

  @Test
  @Order(6)
  void aRestartedOrchestratorAdoptsTheRunningContainers() {
    String container = tenant("alice").path("instance_id").asString();
    server.close();
    server = start(data);
    admin = new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
    assertThat(tenant("alice").path("status").asString()).isEqualTo("running");
    assertThat(output(user("alice").run("cat notes.txt"))).isEqualTo("alice's notes");
    assertThat(tenant("alice").path("instance_id").asString()).isEqualTo(container);
  }

  @Test
  @Order(7)
  void resetWipesTheHomeAndDeleteLeavesNothingBehind() {
    Http bob = user("bob");
    bob.run("echo x > mine.txt");
    assertThat(admin.post("/api/v1/tenants/" + tenant("bob").path("id").asString() + "/reset", Map.of()).status()).isEqualTo(200);
    assertThat(output(bob.run("ls -A | grep -c mine.txt"))).isEqualTo("0\n");

    String oid = dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(data.toAbsolutePath().normalize().toString());
    assertThat(docker("ps", "-aq", "--filter", "label=sandcastle.orchestrator=" + oid).lines().count()).isEqualTo(3);
    for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
      assertThat(admin.delete("/api/v1/tenants/" + tenant.path("id").asString()).status()).isEqualTo(204);
    }
    assertThat(docker("ps", "-aq", "--filter", "label=sandcastle.orchestrator=" + oid)).as("containers left").isBlank();
    assertThat(docker("volume", "ls", "-q", "--filter", "label=sandcastle.orchestrator=" + oid)).as("volumes left").isBlank();
  }

  @Test
  @Order(8)
  void aNewTenantTakesAContainerFromTheWarmPoolAndANetworkedPolicyTheEgressNetwork() throws Exception {
    server.close();
    server = null;
    Path pooled = Files.createTempDirectory("sandcastle-docker-pool");
    String oid = dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(pooled.toAbsolutePath().normalize().toString());
    String spares = "label=sandcastle.orchestrator=" + oid;
    try (Orchestrator withPool = start(pooled, "1", "host")) {
      Http dave = new Http("http://127.0.0.1:" + withPool.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "dave"));
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> docker("ps", "-q", "--filter", spares).lines().count() == 1);
      String spare = docker("ps", "-q", "--no-trunc", "--filter", spares).trim();
      String address = docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", spare).trim();
      Http direct = new Http("http://" + address + ":8000", Map.of());
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> direct.get("/health").status() == 200);
      long started = System.nanoTime();
      assertThat(output(dave.run("echo quick > q.txt && cat q.txt"))).isEqualTo("quick\n");
      long millis = (System.nanoTime() - started) / 1_000_000;
      Http admin = new Http("http://127.0.0.1:" + withPool.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY));
      JsonNode tenant = admin.get("/api/v1/tenants").json().path(0);
      assertThat(tenant.path("instance_id").asString()).as("the spare became dave's (in %d ms)", millis).isEqualTo(spare);
      assertThat(docker("inspect", "--format", "{{.Name}} {{.HostConfig.NetworkMode}}", spare).trim())
          .isEqualTo("/" + tenant.path("instance_name").asString() + " sandcastle-egress");
      String gateway = docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", "sandcastle-egress").trim();
      assertThat(output(dave.run("curl -sS -m 2 -o /dev/null http://" + gateway + ":" + withPool.port() + "/health 2>&1; echo exit=$?")))
          .as("with network access, still no connection to the host").doesNotContain("exit=0");
      // Nor to cloud metadata or private networks (both answer from this host's network without the rules); in parallel, 2 s each.
      String inside = output(dave.run("for a in 169.254.169.254 10.0.0.1 192.168.0.1; do"
          + " (curl -sS --connect-timeout 2 -m 3 -o /dev/null http://$a:80/ >/dev/null 2>&1; echo $a exit=$?) & done; wait"));
      assertThat(inside.lines().toList()).as("metadata and private addresses out of reach: %s", inside).hasSize(3)
          .noneMatch(line -> line.endsWith(" exit=0"));
      // The pool refills; a second start of dave's keeps his container and home.
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> docker("ps", "-q", "--filter", spares).lines().count() == 2);
      assertThat(admin.post("/api/v1/tenants/" + tenant.path("id").asString() + "/stop", Map.of()).status()).isEqualTo(200);
      assertThat(output(dave.run("cat q.txt"))).isEqualTo("quick\n");
      assertThat(admin.delete("/api/v1/tenants/" + tenant.path("id").asString()).status()).isEqualTo(204);
    }
    String containersLeft = docker("ps", "-aq", "--filter", spares);
    String volumesLeft = docker("volume", "ls", "-q", "--filter", spares);
    containersLeft.lines().forEach(c -> docker("rm", "-f", c));
    volumesLeft.lines().forEach(v -> docker("volume", "rm", "-f", v));
    assertThat(containersLeft).as("containers left, spares included").isBlank();
    assertThat(volumesLeft).as("volumes left").isBlank();
  }

  /**
   * A policy naming gVisor (allowed with --allowed-runtimes; bin/docker-up registers it with the
   * engine) runs its tenants on gVisor's kernel: commands, Python and a terminal work as anywhere
   * else. A tenant of the default policy on the same server stays on the engine's runtime, and
   * both leave nothing behind. The runtime is {@code runsc} where gVisor's own network stack starts,
   * else {@code runsc-hostnet} (as on this CI machine, a nested host); the test says which.
   */
  @Test
  @Order(9)
  void aPolicyNamingGvisorRunsItsWorkspacesUnderGvisor() throws Exception {
    assertThat(docker("info", "--format", "{{range $name, $_ := .Runtimes}}{{$name}} {{end}}"))
        .as("the engine knows gVisor (bin/docker-up registers it)").contains("runsc", "runsc-hostnet");
    String own = docker("run", "--rm", "--runtime", "runsc", "--entrypoint", "/bin/true", IMAGE);
    String runtime = own.isBlank() ? "runsc" : "runsc-hostnet";
    System.out.println("gVisor test runs with " + runtime + (own.isBlank() ? "" : " (runsc: " + own.strip().lines().findFirst().orElse("") + ")"));
    Path gvisor = Files.createTempDirectory("sandcastle-docker-gvisor");
    String oid = dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(gvisor.toAbsolutePath().normalize().toString());
    try (Orchestrator server = start(gvisor, "0", "none", Map.of(Setting.ALLOWED_RUNTIMES, runtime))) {
      String base = "http://127.0.0.1:" + server.port();
      Http admin = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY));
      assertThat(admin.post("/api/v1/policies", Map.of("id", "gvisor", "runtime", runtime)).status()).isEqualTo(201);
      Http erin = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "erin"));
      // gVisor's own kernel answers uname (the kernel log, where it says so, is closed to workspaces by the syscall filter).
      String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
      assertThat(output(erin.run("/p/gvisor", "uname -r")).strip()).as("a kernel other than the host's").isNotEqualTo(hostKernel).isNotBlank();
      assertThat(output(erin.run("/p/gvisor", "python3 -c 'import numpy; print(numpy.arange(4).sum())'"))).isEqualTo("6\n");
      assertThat(erin.run("/p/gvisor", "exit 3").path("exit_code").asInt()).as("exit codes arrive (children reaped without pidfds)").isEqualTo(3);
      assertThat(output(erin.run("uname -r")).strip()).as("her default-policy workspace is on the host's kernel").isEqualTo(hostKernel);
      Map<String, String> runtimes = new java.util.HashMap<>();
      for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
        runtimes.put(tenant.path("policy_id").asString(),
            docker("inspect", "--format", "{{.HostConfig.Runtime}}", tenant.path("instance_id").asString()).trim());
      }
      assertThat(runtimes).containsEntry("gvisor", runtime).containsEntry("default", "runc");

      String id = erin.post("/p/gvisor/api/terminals", Map.of()).json().path("id").asString();
      Socket socket = new Socket("ws://127.0.0.1:" + server.port() + "/p/gvisor/api/terminals/" + id + "?user_id=erin");
      socket.text("{\"type\":\"auth\",\"token\":\"" + ADMIN_KEY + "\"}");
      socket.bytes("echo $((6*7)) under $(uname -s)\n");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> socket.received().contains("42 under Linux"));
      socket.bytes("exit\n");
      assertThat(socket.closeCode()).isEqualTo(1000);

      for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
        assertThat(admin.delete("/api/v1/tenants/" + tenant.path("id").asString()).status()).isEqualTo(204);
      }
    }
    assertThat(docker("ps", "-aq", "--filter", "label=sandcastle.orchestrator=" + oid)).as("containers left").isBlank();
    assertThat(docker("volume", "ls", "-q", "--filter", "label=sandcastle.orchestrator=" + oid)).as("volumes left").isBlank();
  }

  /**
   * Ten new tenants at once with a pool of two that refills while they wait (the burst the
   * benchmark times): every one gets a working workspace of its own, the pool is full again
   * afterwards, and a workspace's Python kernel host starts on first use, not with the container.
   */
  @Test
  @Order(10)
  void aBurstOfNewTenantsEachGetsAWorkspaceWhileThePoolRefills() throws Exception {
    Path burst = Files.createTempDirectory("sandcastle-docker-burst");
    String oid = dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(burst.toAbsolutePath().normalize().toString());
    String ours = "label=sandcastle.orchestrator=" + oid;
    try (Orchestrator pooled = start(burst, "2", "none")) {
      String base = "http://127.0.0.1:" + pooled.port();
      var backend = (dev.sandcastle.orchestrator.backend.docker.DockerBackend) pooled.backend();
      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> backend.readySpares() == 2);
      List<java.util.concurrent.Future<String>> outputs = new ArrayList<>();
      try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 10; i++) {
          Http user = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "burst-" + i));
          String name = "burst-" + i;
          outputs.add(clients.submit(() -> output(user.run("echo " + name + " > who && cat who"))));
        }
        for (int i = 0; i < 10; i++) {
          assertThat(outputs.get(i).get()).isEqualTo("burst-" + i + "\n");
        }
      }
      Http admin = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY));
      JsonNode tenants = admin.get("/api/v1/tenants").json();
      assertThat(tenants).hasSize(10);
      assertThat(java.util.stream.StreamSupport.stream(tenants.spliterator(), false).map(t -> t.path("instance_id").asString()).distinct())
          .as("ten containers").hasSize(10);
      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> backend.readySpares() == 2);

      Http first = new Http(base, Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "burst-0"));
      assertThat(output(first.run("ps -eo args | grep -c '[k]ernel.py' || true"))).as("no kernel host before first use").isEqualTo("0\n");
      assertThat(first.post("/execute_code", Map.of("code", "import numpy\nnumpy.arange(5).sum()")).text()).contains("10");
      assertThat(output(first.run("ps -eo args | grep -c '[k]ernel.py' || true"))).as("the kernel host after it").isNotEqualTo("0\n");
      for (JsonNode tenant : tenants) {
        assertThat(admin.delete("/api/v1/tenants/" + tenant.path("id").asString()).status()).isEqualTo(204);
      }
    }
    assertThat(docker("ps", "-aq", "--filter", ours)).as("containers left, spares included").isBlank();
    assertThat(docker("volume", "ls", "-q", "--filter", ours)).as("volumes left").isBlank();
  }

  /**
   * A graceful stop of {@code sandcastle serve} (what its SIGTERM hook does: close the server)
   * removes the warm spares it made and says how many tenants' containers it leaves running for the
   * next start to adopt; {@code sandcastle docker prune} then removes those and the networks,
   * keeping the homes: a tenant who had taken a spare finds the files again when the server is back.
   */
  @Test
  @Order(11)
  void aGracefulStopRemovesItsSparesAndPruneRemovesTheRestButTheHomes() throws Exception {
    Path data = Files.createTempDirectory("sandcastle-docker-stop").toAbsolutePath().normalize();
    String oid = dev.sandcastle.orchestrator.backend.docker.DockerBackend.idOf(data.toString());
    String ours = "label=sandcastle.orchestrator=" + oid;
    String network = "scprune" + ProcessHandle.current().pid();
    var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(dev.sandcastle.orchestrator.backend.docker.DockerBackend.class);
    var logged = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    logged.start();
    logger.addAppender(logged);
    try {
      Orchestrator serve = start(data, "1", "none", Map.of(Setting.DOCKER_NETWORK, network));
      var backend = (dev.sandcastle.orchestrator.backend.docker.DockerBackend) serve.backend();
      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> backend.readySpares() == 1);
      Http gina = new Http("http://127.0.0.1:" + serve.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "gina"));
      assertThat(output(gina.run("echo kept > kept.txt && cat kept.txt"))).isEqualTo("kept\n");
      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> backend.readySpares() == 1); // refilled

      serve.close();
      assertThat(logged.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage))
          .anyMatch(line -> line.contains("removed 1 warm spare; leaving 1 tenant container running for the next start to adopt"));
      List<String> left = docker("ps", "-a", "--format", "{{.Names}} {{.State}}", "--filter", ours).strip().lines().toList();
      assertThat(left).as("gina's container, still running; no spare").hasSize(1).allMatch(line -> line.endsWith(" running"))
          .noneMatch(line -> line.contains("-spare-"));
      String ginaContainer = left.getFirst().split(" ")[0];

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      assertThat(Main.run(new String[] {"docker", "prune", "--data-dir", data.toString()}, new PrintWriter(out, true),
          new PrintWriter(err, true))).as(err.toString()).isZero();
      assertThat(out.toString()).contains("Removed 1 container", "copied to volumes named after them", network);
      assertThat(docker("ps", "-aq", "--filter", ours)).as("containers left").isBlank();
      assertThat(docker("volume", "ls", "-q", "--filter", ours).strip()).as("only her home, under her name").isEqualTo(ginaContainer + "-home");
      assertThat(docker("network", "ls", "-q", "--filter", "name=" + network)).as("networks left").isBlank();

      try (Orchestrator again = start(data, "0", "none", Map.of(Setting.DOCKER_NETWORK, network))) {
        Http back = new Http("http://127.0.0.1:" + again.port(), Map.of("Authorization", "Bearer " + ADMIN_KEY, "X-User-Id", "gina"));
        assertThat(output(back.run("cat kept.txt"))).as("her files, back").isEqualTo("kept\n");
      }
      assertThat(Main.run(new String[] {"docker", "prune", "--volumes", "--data-dir", data.toString()}, new PrintWriter(out, true),
          new PrintWriter(err, true))).as(err.toString()).isZero();
      assertThat(docker("volume", "ls", "-q", "--filter", ours)).as("--volumes removes the homes").isBlank();
    } finally {
      logger.detachAppender(logged);
      docker("ps", "-aq", "--filter", ours).lines().forEach(c -> docker("rm", "-f", c));
      docker("volume", "ls", "-q", "--filter", ours).lines().forEach(v -> docker("volume", "rm", "-f", v));
      docker("network", "rm", network, network + "-egress");
    }
  }

  static JsonNode tenant(String userId) {
    for (JsonNode tenant : admin.get("/api/v1/tenants").json()) {
      if (tenant.path("user_id").asString().equals(userId)) {
        return tenant;
      }
    }
    throw new AssertionError("no tenant of " + userId);
  }

  static String docker(String... args) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor(60, TimeUnit.SECONDS);
      return out;
    } catch (Exception e) {
      throw new IllegalStateException("cannot run docker", e);
    }
  }
}
