package dev.sandcastle.orchestrator.backend.operator;

import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.NAMESPACE;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.async;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.policy;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.result;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.tenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.backend.kubernetes.KubernetesSettings;
import dev.sandcastle.orchestrator.backend.kubernetes.MockCluster;
import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import dev.sandcastle.orchestrator.tenant.Tenant;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The orchestrator's operator backend against a running operator, both on the CRUD mock server. */
@EnableKubernetesMockClient(crud = true)
class OperatorBackendTest {
  KubernetesClient client;
  MockCluster cluster;
  TerminalOperator operator;
  OperatorBackend backend;

  @BeforeEach
  void setUp() {
    cluster = new MockCluster(client);
    cluster.installTerminalCrd();
    operator = new TerminalOperator(client, new WorkspaceObjects(KubernetesSettings.of(NAMESPACE, "sandcastle/sandbox:latest", "op")
        .withAllowedRuntimeClasses(java.util.Set.of("gvisor"))), Clock.systemUTC(), Duration.ofSeconds(30));
    operator.start();
    backend = new OperatorBackend(client, NAMESPACE, "orch-1", Duration.ofSeconds(20), Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    operator.close();
  }

  private Instance.Remote start(OperatorBackend on, Tenant tenant) throws Exception {
    Future<Instance> started = async(() -> on.start(tenant, policy("none")));
    cluster.markReady(OperatorBackend.terminalName(tenant.id()));
    return (Instance.Remote) result(started);
  }

  private GenericKubernetesResource terminal(Tenant tenant) {
    return Terminal.in(client).inNamespace(NAMESPACE).withName(OperatorBackend.terminalName(tenant.id())).get();
  }

  @Test
  void startingATenantWritesATerminalAndWaitsUntilTheOperatorReportsItRunning() throws Exception {
    Tenant tenant = tenant("alice@example.com", "default", "default");
    Instance.Remote instance = start(backend, tenant);

    GenericKubernetesResource terminal = terminal(tenant);
    assertThat(terminal.getMetadata().getLabels()).containsEntry("sandcastle.dev/tenant", tenant.id())
        .containsEntry("sandcastle.dev/orchestrator", "orch-1").containsEntry("app.kubernetes.io/managed-by", "sandcastle");
    assertThat(terminal.getMetadata().getLabels().get("sandcastle.dev/user")).matches("[0-9a-f]{32}");
    assertThat(terminal.getMetadata().getAnnotations()).containsKey(Terminal.LAST_ACTIVITY);
    Terminal.Spec spec = Terminal.spec(terminal);
    assertThat(spec.resources().cpu()).isEqualTo("1500m");
    assertThat(spec.resources().memory()).isEqualTo(Long.toString(512L << 20));
    assertThat(spec.network()).isEqualTo("none");
    assertThat(spec.suspend()).isFalse();
    assertThat(spec.idleTimeoutMinutes()).isZero(); // the orchestrator stops idle tenants itself

    String name = OperatorBackend.terminalName(tenant.id());
    assertThat(instance.base().toString()).isEqualTo("http://" + name + ".workspaces.svc:8000");
    assertThat(instance.apiKey()).isEqualTo(WorkspaceObjects.apiKey(client.secrets().inNamespace(NAMESPACE)
        .withName(name + "-key").get()).orElseThrow());
    assertThat(backend.running()).containsExactly(tenant.id());
  }

  @Test
  void aPolicysRuntimeGoesIntoTheTerminalAndTheOperatorRunsThePodUnderIt() throws Exception {
    Tenant tenant = tenant("dora", "sandboxed", "default");
    String name = OperatorBackend.terminalName(tenant.id());
    Future<Instance> started = async(() -> backend.start(tenant, runtime("gvisor")));
    cluster.markReady(name);
    result(started);

    assertThat(Terminal.spec(terminal(tenant)).runtimeClassName()).isEqualTo("gvisor");
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get().getSpec().getRuntimeClassName()).isEqualTo("gvisor");
  }

  @Test
  void aRuntimeTheOperatorDoesNotAllowFailsTheStartWithItsReason() {
    Tenant tenant = tenant("mallory", "sandboxed", "default");

    assertThatThrownBy(() -> backend.start(tenant, runtime("kata"))).isInstanceOf(Unavailable.class)
        .hasMessageContaining("spec.runtimeClassName 'kata' is not allowed by the operator");
    assertThat(client.pods().inNamespace(NAMESPACE).withName(OperatorBackend.terminalName(tenant.id())).get()).isNull();
  }

  private static dev.sandcastle.orchestrator.policy.Policy runtime(String runtime) {
    return new dev.sandcastle.orchestrator.policy.Policy("sandboxed", "", runtime, Map.of(), 1, 512L << 20, 1L << 30, 64,
        Duration.ofMinutes(30), "none", "", "UTC");
  }

  @Test
  void stoppingSuspendsTheTerminalUntilItsPodIsGoneAndStartingResumesItWithTheSameKey() throws Exception {
    Tenant tenant = tenant("bob", "default", "default");
    Instance.Remote first = start(backend, tenant);
    String name = OperatorBackend.terminalName(tenant.id());

    backend.stop(tenant);
    assertThat(Terminal.status(terminal(tenant)).phase()).isEqualTo("Idle");
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get()).isNull();
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(name + "-home").get()).isNotNull();
    assertThat(backend.running()).isEmpty();

    Instance.Remote second = start(backend, tenant);
    assertThat(second.apiKey()).isEqualTo(first.apiKey());
    assertThat(Terminal.spec(terminal(tenant)).suspend()).isFalse();
  }

  @Test
  void resetAsksTheOperatorToWipeAndWaitsForIt() throws Exception {
    Tenant tenant = tenant("carol", "default", "default");
    start(backend, tenant);
    backend.stop(tenant);
    String name = OperatorBackend.terminalName(tenant.id());

    Future<Object> reset = async(() -> {
      backend.reset(tenant);
      return null;
    });
    cluster.awaitPod(name + "-wipe");
    assertThat(reset.isDone()).isFalse();
    cluster.markPhase(name + "-wipe", "Succeeded");
    result(reset);
    assertThat(Terminal.status(terminal(tenant)).resetToken()).isEqualTo(Terminal.spec(terminal(tenant)).resetToken()).isNotEmpty();

    // The next start keeps the token: no second wipe.
    start(backend, tenant);
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name + "-wipe").get()).isNull();
  }

  @Test
  void aTerminalThatCannotStartFailsTheStartWithTheOperatorsReason() {
    Tenant tenant = tenant("dave", "default", "default");
    Future<Instance> started = async(() -> backend.start(tenant, policy("none")));
    cluster.markImagePullFailure(OperatorBackend.terminalName(tenant.id()));
    assertThatThrownBy(() -> result(started)).isInstanceOf(Unavailable.class).hasMessageContaining("ImagePullBackOff");
  }

  @Test
  void withoutAnOperatorAStartFailsWith503AfterItsDeadline() {
    operator.close();
    OperatorBackend impatient = new OperatorBackend(client, NAMESPACE, "orch-1", Duration.ofMillis(500), Clock.systemUTC());
    assertThatThrownBy(() -> impatient.start(tenant("erin", "default", "default"), policy("none")))
        .isInstanceOf(Unavailable.class).hasMessageContaining("sandcastle operator");
  }

  @Test
  void destroyDeletesTheTerminal() throws Exception {
    Tenant tenant = tenant("frank", "default", "default");
    start(backend, tenant);
    backend.destroy(tenant);
    assertThat(terminal(tenant)).isNull();
    assertThat(backend.running()).isEmpty();
    backend.destroy(tenant); // idempotent
  }

  @Test
  void aRestartedOrchestratorAdoptsRunningTerminalsAndDeletesThoseNoKnownTenantOwns() throws Exception {
    Tenant kept = tenant("grace", "default", "default");
    Tenant forgotten = tenant("heidi", "default", "default");
    Instance.Remote keptInstance = start(backend, kept);
    start(backend, forgotten);
    OperatorBackend other = new OperatorBackend(client, NAMESPACE, "orch-2", Duration.ofSeconds(20), Clock.systemUTC());
    Tenant theirs = tenant("ivan", "default", "default");
    start(other, theirs);

    OperatorBackend restarted = new OperatorBackend(client, NAMESPACE, "orch-1", Duration.ofSeconds(20), Clock.systemUTC());
    Map<String, Instance> adopted = restarted.reconcile(Map.of(kept.id(), kept));

    assertThat(adopted).containsOnlyKeys(kept.id());
    assertThat(((Instance.Remote) adopted.get(kept.id())).apiKey()).isEqualTo(keptInstance.apiKey());
    assertThat(restarted.running()).containsExactly(kept.id());
    assertThat(terminal(forgotten)).isNull();
    assertThat(terminal(theirs)).isNotNull(); // another orchestrator's
  }
}
