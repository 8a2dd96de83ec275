package dev.sandcastle.orchestrator.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Which OCI runtime the docker backend asks the engine for: the policy's, else the server's
 * {@code --docker-runtime}, else none; that a warm spare serves only its own policy's runtime; and
 * that a container made under another runtime than its policy now names is made again. Against
 * {@link FakeEngine}, which records the engine calls (the lead's DockerBackendTest runs runsc on a
 * real engine).
 */
class DockerRuntimeTest {
  FakeEngine engine;
  DockerBackend backend;

  @BeforeEach
  void start() throws Exception {
    engine = new FakeEngine();
  }

  @AfterEach
  void stop() {
    if (backend != null) {
      backend.close();
    }
    engine.close();
  }

  DockerBackend backend(String serverRuntime) {
    backend = new DockerBackend(new DockerBackend.Settings(engine.host(), "sandcastle/sandbox:test", serverRuntime, "sctest", "test1",
        engine.workspacePort(), Duration.ofSeconds(10), Duration.ofSeconds(1)));
    return backend;
  }

  static Policy policy(String runtime) {
    return new Policy("default", "", runtime, Map.of(), 1, 256L << 20, 1L << 30, 64, Duration.ofMinutes(30), "none", "", "UTC");
  }

  static Tenant tenant(String user) {
    Instant now = Instant.now();
    return new Tenant(UUID.randomUUID().toString(), 1, new TenantKey(user, "default", "default"), "docker", "", "", "", 0, "",
        TenantStatus.PROVISIONING, now, now, now);
  }

  private JsonNode containerOf(Tenant tenant) {
    return engine.container(backend.containerName(tenant.id())).orElseThrow();
  }

  private static String runtimeOf(JsonNode container) {
    return container.path("HostConfig").path("Runtime").asString("");
  }

  @Test
  void theContainerRunsUnderThePolicysRuntimeElseTheServersElseTheEnginesDefault() {
    DockerBackend plain = backend("");
    assertThat(plain.spec(Map.of(), "v", policy("runsc"), "key").path("HostConfig").path("Runtime").asString()).isEqualTo("runsc");
    assertThat(plain.spec(Map.of(), "v", policy(""), "key").path("HostConfig").has("Runtime")).isFalse();
    plain.close();

    DockerBackend sandboxed = backend("runsc");
    assertThat(sandboxed.spec(Map.of(), "v", policy(""), "key").path("HostConfig").path("Runtime").asString()).isEqualTo("runsc");
    assertThat(sandboxed.spec(Map.of(), "v", policy("kata"), "key").path("HostConfig").path("Runtime").asString()).isEqualTo("kata");

    // And what start() sends the engine.
    Tenant alice = tenant("alice");
    Tenant bob = tenant("bob");
    sandboxed.start(alice, policy("kata"));
    sandboxed.start(bob, policy(""));
    assertThat(runtimeOf(containerOf(alice))).isEqualTo("kata");
    assertThat(runtimeOf(containerOf(bob))).isEqualTo("runsc");
    // The rest of the lock-down does not depend on the runtime.
    assertThat(containerOf(alice).path("HostConfig").path("CapDrop").toString()).contains("ALL");
    assertThat(containerOf(alice).path("HostConfig").path("ReadonlyRootfs").asBoolean()).isTrue();
  }

  @Test
  void aSpareIsTakenOnlyByATenantWhosePolicyHasTheSparesRuntime() {
    DockerBackend pool = backend("");
    pool.keepWarm(policy(""), 1);
    pool.reconcile(Map.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> pool.readySpares() == 1);
    String spare = engine.containers().getFirst().path("Id").asString();
    assertThat(engine.containers().getFirst().path("Config").path("Labels").path(DockerBackend.SPARE).asString()).isEqualTo("true");

    // Same policy but gVisor: a container of its own, under runsc; the spare (engine default) waits on.
    Tenant sandboxed = tenant("sandboxed");
    Instance.Remote own = (Instance.Remote) pool.start(sandboxed, policy("runsc"));
    assertThat(own.id()).isNotEqualTo(spare);
    assertThat(runtimeOf(containerOf(sandboxed))).isEqualTo("runsc");
    assertThat(pool.readySpares()).isEqualTo(1);
    assertThat(engine.container(spare)).isPresent();

    // The spare's own policy takes it: renamed to the tenant's name, no runtime asked for.
    Tenant plain = tenant("plain");
    Instance.Remote taken = (Instance.Remote) pool.start(plain, policy(""));
    assertThat(taken.id()).isEqualTo(spare);
    assertThat(containerOf(plain).path("Id").asString()).isEqualTo(spare);
    assertThat(runtimeOf(containerOf(plain))).isEmpty();
  }

  @Test
  void aStoppedContainerMadeUnderAnotherRuntimeIsMadeAgainOnTheSameHome() {
    DockerBackend docker = backend("");
    Tenant tenant = tenant("carol");
    docker.start(tenant, policy(""));
    JsonNode first = containerOf(tenant);
    docker.stop(tenant);

    // Its policy now names gVisor: the old container goes, a new one under runsc mounts the same volume.
    docker.start(tenant, policy("runsc"));
    JsonNode second = containerOf(tenant);
    assertThat(second.path("Id").asString()).isNotEqualTo(first.path("Id").asString());
    assertThat(engine.removed()).contains(first.path("Id").asString());
    assertThat(runtimeOf(second)).isEqualTo("runsc");
    assertThat(second.path("Mounts").path(0).path("Name").asString()).isEqualTo(first.path("Mounts").path(0).path("Name").asString())
        .endsWith("-home");
    assertThat(second.path("State").path("Running").asBoolean()).isTrue();

    // Starting it again under the same runtime keeps it; so does a policy that names none (any runtime will do).
    docker.stop(tenant);
    docker.start(tenant, policy("runsc"));
    docker.stop(tenant);
    docker.start(tenant, policy(""));
    assertThat(containerOf(tenant).path("Id").asString()).isEqualTo(second.path("Id").asString());
    assertThat(engine.removed()).containsExactly(first.path("Id").asString());
  }
}
