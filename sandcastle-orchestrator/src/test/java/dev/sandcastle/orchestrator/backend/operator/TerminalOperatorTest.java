package dev.sandcastle.orchestrator.backend.operator;

import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.orchestrator.TestClock;
import dev.sandcastle.orchestrator.backend.kubernetes.KubernetesSettings;
import dev.sandcastle.orchestrator.backend.kubernetes.MockCluster;
import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class TerminalOperatorTest {
  KubernetesClient client;
  MockCluster cluster;
  TestClock clock = new TestClock(Instant.parse("2026-01-01T10:00:00Z"));
  TerminalOperator operator;

  @BeforeEach
  void setUp() {
    cluster = new MockCluster(client);
    cluster.installTerminalCrd();
    operator = new TerminalOperator(client, new WorkspaceObjects(KubernetesSettings.of(NAMESPACE, "sandcastle/sandbox:latest", "op")
        .withAllowedRuntimeClasses(java.util.Set.of("gvisor"))), clock, Duration.ofMillis(500));
    operator.start();
  }

  @AfterEach
  void tearDown() {
    operator.close();
  }

  private GenericKubernetesResource create(String name, Terminal.Spec spec) {
    return Terminal.in(client).inNamespace(NAMESPACE).resource(Terminal.resource(NAMESPACE, name,
        Map.of("sandcastle.dev/tenant", "t-1", "sandcastle.dev/user", "u-123", "example.com/other", "x"), spec)).create();
  }

  private static Terminal.Spec spec() {
    return new Terminal.Spec("", "", Map.of("LANG", "C.UTF-8"), new Terminal.Resources("500m", "268435456", "1Gi"), "none", 0, false, null);
  }

  private Terminal.Status status(String name) {
    return Terminal.status(Terminal.in(client).inNamespace(NAMESPACE).withName(name).get());
  }

  private void awaitPhase(String name, String phase) {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status(name).phase()).isEqualTo(phase));
  }

  @Test
  void aTerminalGoesFromPendingThroughProvisioningToRunningAsItsPodComesUp() {
    GenericKubernetesResource terminal = create("alice", spec());
    awaitPhase("alice", "Pending");
    Pod pod = cluster.awaitPod("alice");

    // Its children are the kubernetes backend's objects, owned (as controller) by the Terminal.
    List<HasMetadata> children = List.of(pod,
        client.persistentVolumeClaims().inNamespace(NAMESPACE).withName("alice-home").get(),
        client.secrets().inNamespace(NAMESPACE).withName("alice-key").get(),
        client.services().inNamespace(NAMESPACE).withName("alice").get(),
        client.network().v1().networkPolicies().inNamespace(NAMESPACE).withName("alice").get());
    assertThat(children).allSatisfy(child -> {
      assertThat(child.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
        assertThat(owner.getKind()).isEqualTo("Terminal");
        assertThat(owner.getApiVersion()).isEqualTo("sandcastle.dev/v1alpha1");
        assertThat(owner.getUid()).isEqualTo(terminal.getMetadata().getUid());
        assertThat(owner.getController()).isTrue();
      });
      assertThat(child.getMetadata().getLabels()).containsEntry("sandcastle.dev/terminal", "alice").containsEntry("sandcastle.dev/tenant", "t-1");
      assertThat(child.getMetadata().getLabels()).containsEntry("sandcastle.dev/user", "u-123").doesNotContainKey("example.com/other");
    });
    assertThat(pod.getSpec().getContainers().getFirst().getImage()).isEqualTo("sandcastle/sandbox:latest");
    assertThat(pod.getSpec().getContainers().getFirst().getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
    assertThat(pod.getSpec().getContainers().getFirst().getSecurityContext().getReadOnlyRootFilesystem()).isTrue();

    cluster.markStarting("alice");
    awaitPhase("alice", "Provisioning");
    cluster.markReady("alice");
    awaitPhase("alice", "Running");

    Terminal.Status status = status("alice");
    assertThat(status.serviceUrl()).isEqualTo("http://alice.workspaces.svc:8000");
    assertThat(status.apiKeySecret()).isEqualTo("alice-key");
    assertThat(status.lastActivity()).contains(clock.instant());
    assertThat(status.conditions()).singleElement().satisfies(c -> {
      assertThat(c.type()).isEqualTo("Ready");
      assertThat(c.status()).isEqualTo("True");
    });
  }

  @Test
  void suspendingDeletesThePodAndKeepsTheFilesAndResumingStartsANewOne() {
    create("bob", spec());
    cluster.markReady("bob");
    awaitPhase("bob", "Running");

    Terminal.in(client).inNamespace(NAMESPACE).withName("bob").edit(t -> {
      Terminal.setSpec(t, Terminal.spec(t).withSuspend(true));
      return t;
    });
    awaitPhase("bob", "Idle");
    assertThat(client.pods().inNamespace(NAMESPACE).withName("bob").get()).isNull();
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName("bob-home").get()).isNotNull();

    Terminal.in(client).inNamespace(NAMESPACE).withName("bob").edit(t -> {
      Terminal.setSpec(t, Terminal.spec(t).withSuspend(false));
      return t;
    });
    cluster.markReady("bob");
    awaitPhase("bob", "Running");
  }

  @Test
  void aTerminalIdleForLongerThanItsTimeoutIsSuspendedByTheOperator() {
    create("carol", new Terminal.Spec("", "", Map.of(), null, "none", 30, false, null));
    cluster.markReady("carol");
    awaitPhase("carol", "Running");

    clock.advance(Duration.ofMinutes(20)); // not yet
    // Activity reported by a client (the annotation) pushes the timer on.
    Terminal.in(client).inNamespace(NAMESPACE).withName("carol").edit(t -> {
      t.getMetadata().setAnnotations(Map.of(Terminal.LAST_ACTIVITY, clock.instant().toString()));
      return t;
    });
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status("carol").lastActivity()).contains(clock.instant()));
    clock.advance(Duration.ofMinutes(25));
    assertThat(status("carol").phase()).isEqualTo("Running");

    clock.advance(Duration.ofMinutes(10)); // 35 minutes since the last activity: the resync finds it idle
    awaitPhase("carol", "Idle");
    assertThat(Terminal.spec(Terminal.in(client).inNamespace(NAMESPACE).withName("carol").get()).suspend()).isTrue();
    assertThat(client.pods().inNamespace(NAMESPACE).withName("carol").get()).isNull();
    assertThat(status("carol").conditions()).anySatisfy(c -> assertThat(c.reason()).isEqualTo("IdleTimeout"));
  }

  @Test
  void aPodThatCannotPullItsImageMakesTheTerminalError() {
    create("dave", new Terminal.Spec("no/such:image", "", Map.of(), null, "none", 0, false, null));
    cluster.markImagePullFailure("dave");
    awaitPhase("dave", "Error");
    assertThat(status("dave").message()).contains("ImagePullBackOff");
  }

  @Test
  void aNewResetTokenWipesTheHomeOfASuspendedTerminalWithAShortLivedPod() {
    create("erin", spec().withSuspend(true));
    awaitPhase("erin", "Idle");

    Terminal.in(client).inNamespace(NAMESPACE).withName("erin").edit(t -> {
      Terminal.setSpec(t, Terminal.spec(t).withResetToken("r1"));
      return t;
    });
    Pod wipe = cluster.awaitPod("erin-wipe");
    assertThat(wipe.getSpec().getContainers().getFirst().getCommand()).containsExactly("find", "/home/user", "-mindepth", "1", "-delete");
    assertThat(status("erin").resetToken()).isEmpty();
    cluster.markPhase("erin-wipe", "Succeeded");

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status("erin").resetToken()).isEqualTo("r1"));
    await().atMost(Duration.ofSeconds(20)).until(() -> client.pods().inNamespace(NAMESPACE).withName("erin-wipe").get() == null);
    assertThat(status("erin").phase()).isEqualTo("Idle");
  }

  @Test
  void aTerminalsRuntimeClassIsItsPodsAndChangingItReplacesThePod() {
    create("frank", new Terminal.Spec("", "gvisor", Map.of(), null, "none", 0, false, null));
    Pod sandboxed = cluster.awaitPod("frank");
    assertThat(sandboxed.getSpec().getRuntimeClassName()).isEqualTo("gvisor");

    create("grace", spec());
    Pod plain = cluster.awaitPod("grace");
    assertThat(plain.getSpec().getRuntimeClassName()).isNull(); // the operator names none: the cluster's default
    cluster.markReady("grace");
    awaitPhase("grace", "Running");

    Terminal.in(client).inNamespace(NAMESPACE).withName("grace").edit(t -> {
      Terminal.Spec was = Terminal.spec(t);
      Terminal.setSpec(t, new Terminal.Spec(was.image(), "gvisor", was.env(), was.resources(), was.network(), was.idleTimeoutMinutes(),
          was.suspend(), was.resetToken()));
      return t;
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      Pod pod = client.pods().inNamespace(NAMESPACE).withName("grace").get();
      return pod != null && !pod.getMetadata().getUid().equals(plain.getMetadata().getUid());
    });
    assertThat(client.pods().inNamespace(NAMESPACE).withName("grace").get().getSpec().getRuntimeClassName()).isEqualTo("gvisor");
  }

  @Test
  void aRuntimeClassTheOperatorDoesNotAllowIsAnErrorAndNothingIsMade() {
    create("mallory", new Terminal.Spec("", "runc", Map.of(), null, "none", 0, false, null));
    awaitPhase("mallory", "Error");

    assertThat(status("mallory").message()).contains("spec.runtimeClassName 'runc' is not allowed by the operator");
    assertThat(status("mallory").conditions()).anySatisfy(c -> assertThat(c.reason()).isEqualTo("InvalidSpec"));
    assertThat(client.pods().inNamespace(NAMESPACE).withName("mallory").get()).isNull();
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName("mallory-home").get()).isNull();
  }

  @Test
  void aLongTerminalNameGivesItsChildrenShortHashedNames() {
    String name = "a-terminal-with-a-rather-long-name-that-goes-on-and-on-and-on";
    create(name, spec());
    String base = TerminalReconciler.childBase(name);
    assertThat(base).startsWith("t-").hasSizeLessThanOrEqualTo(WorkspaceObjects.MAX_BASE);
    Pod pod = cluster.awaitPod(base);
    assertThat(pod.getMetadata().getLabels()).containsEntry("sandcastle.dev/terminal", name); // 62 characters: still a label value
    assertThat(pod.getMetadata().getName()).isEqualTo(base);
  }

}
