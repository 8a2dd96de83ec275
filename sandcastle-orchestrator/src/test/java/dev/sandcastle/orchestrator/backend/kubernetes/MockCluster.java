package dev.sandcastle.orchestrator.backend.kubernetes;

import static org.awaitility.Awaitility.await;

import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * What the kubelet does in a real cluster and the CRUD mock server does not: tests play it by
 * writing pod statuses (ready, failed, succeeded) the way a kubelet would.
 */
public final class MockCluster {
  public static final String NAMESPACE = "workspaces";
  // The mock server logs every request through java.util.logging; held here so the level sticks.
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesClient client;

  public MockCluster(KubernetesClient client) {
    this.client = client;
  }

  public static Tenant tenant(String userId, String policyId, String contextId) {
    Instant now = Instant.now();
    return new Tenant(UUID.randomUUID().toString(), 1, new TenantKey(userId, policyId, contextId), "kubernetes", "", "", "", 0, "",
        TenantStatus.PROVISIONING, now, now, now);
  }

  public static Policy policy(String network) {
    return new Policy("default", "", Map.of("LANG", "C.UTF-8", "SANDCASTLE_API_KEY", "not-from-policy"), 1.5, 512L << 20, 2L << 30,
        256, Duration.ofMinutes(30), network, "", "UTC");
  }

  /** Waits for the pod to exist, then marks it running and ready as a kubelet would once /health answers. */
  public Pod markReady(String name) {
    Pod pod = awaitPod(name);
    Pod ready = new PodBuilder(pod).withNewStatus().withPhase("Running").withPodIP("10.1.2.3")
        .addNewCondition().withType("Ready").withStatus("True").endCondition()
        .addNewContainerStatus().withName("workspace").withReady(true).withNewState().withNewRunning().endRunning().endState().endContainerStatus()
        .endStatus().build();
    return client.pods().inNamespace(NAMESPACE).resource(ready).updateStatus();
  }

  /** Marks the pod scheduled on a node, its container starting but not ready yet. */
  public Pod markStarting(String name) {
    Pod pod = awaitPod(name);
    Pod starting = new PodBuilder(pod).withNewStatus().withPhase("Running")
        .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
        .addNewCondition().withType("Ready").withStatus("False").endCondition()
        .endStatus().build();
    return client.pods().inNamespace(NAMESPACE).resource(starting).updateStatus();
  }

  /** Installs the Terminal CRD from the repository's deploy/kubernetes into the mock cluster. */
  public void installTerminalCrd() {
    client.apiextensions().v1().customResourceDefinitions().resource(terminalCrd()).create();
  }

  public static io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition terminalCrd() {
    try (var in = java.nio.file.Files.newInputStream(repository().resolve("deploy/kubernetes/crd-terminal.yaml"))) {
      return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in,
          io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The repository's root (tests run in the module's directory). */
  public static java.nio.file.Path repository() {
    java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
    while (dir != null && !java.nio.file.Files.isDirectory(dir.resolve("deploy"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no deploy/ directory above " + java.nio.file.Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /** Marks the pod's container as unable to pull its image. */
  public Pod markImagePullFailure(String name) {
    Pod pod = awaitPod(name);
    Pod failing = new PodBuilder(pod).withNewStatus().withPhase("Pending")
        .addNewContainerStatus().withName("workspace").withReady(false).withNewState().withNewWaiting().withReason("ImagePullBackOff")
        .withMessage("Back-off pulling image").endWaiting().endState().endContainerStatus()
        .endStatus().build();
    return client.pods().inNamespace(NAMESPACE).resource(failing).updateStatus();
  }

  /** Marks a pod as finished, as a kubelet does when its containers exit. */
  public Pod markPhase(String name, String phase) {
    Pod pod = awaitPod(name);
    return client.pods().inNamespace(NAMESPACE).resource(new PodBuilder(pod).withNewStatus().withPhase(phase).endStatus().build())
        .updateStatus();
  }

  public Pod awaitPod(String name) {
    await().atMost(Duration.ofSeconds(20)).until(() -> client.pods().inNamespace(NAMESPACE).withName(name).get() != null);
    return client.pods().inNamespace(NAMESPACE).withName(name).get();
  }

  /** Runs {@code call} on a virtual thread (a blocking backend call that waits for the test to play kubelet). */
  public static <T> Future<T> async(Callable<T> call) {
    FutureTask<T> task = new FutureTask<>(call);
    Thread.ofVirtual().start(task);
    return task;
  }

  public static <T> T result(Future<T> future) throws Exception {
    try {
      return future.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }
}
