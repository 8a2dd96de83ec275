package dev.sandcastle.orchestrator.backend.kubernetes;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kubernetes} backend: each tenant's workspace is a pod running {@code sandcastle
 * terminal} in one namespace, with its home on a PersistentVolumeClaim, its API key in a Secret,
 * a ClusterIP Service the orchestrator proxies to and a NetworkPolicy (see {@link WorkspaceObjects}).
 * Its pod runs under the policy's RuntimeClass, else the settings' (a pod built under another is
 * replaced on the next start, as for any change of its policy).
 *
 * <p>Ownership: the PVC is each tenant's anchor. The Secret, Service, NetworkPolicy and pods are
 * owned by it, so deleting the PVC (by hand, or by a reaper that only knows one object) lets the
 * cluster's garbage collector remove the rest; and the PVC is the one object that must outlive
 * pods anyway. The PVC itself is owned by nothing (the orchestrator's database is the owner of
 * record), and {@link #reconcile} deletes those no known tenant owns, by label.
 *
 * <p>Stopping deletes the pod and keeps the rest, so the tenant's key and address stay the same
 * across restarts. Readiness is read from the pod's status (its readiness probe calls
 * {@code /health}), never by calling the pod: the orchestrator may not even reach pods that a
 * NetworkPolicy or another network hides, and a test cluster has no pods at all.
 *
 * <p>Threads: every method blocks the calling (virtual) thread, and waits by reading objects
 * again ({@link Polling}); no fabric8 callback is involved.
 */
public final class KubernetesBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(KubernetesBackend.class);

  private final KubernetesClient client;
  private final WorkspaceObjects objects;
  private final KubernetesSettings settings;
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  /** The client is the caller's: it stays open when the backend closes. */
  public KubernetesBackend(KubernetesClient client, KubernetesSettings settings) {
    this.client = client;
    this.settings = settings;
    this.objects = new WorkspaceObjects(settings);
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  /** The base name of a tenant's objects: {@code ws-} and a hash of its id (random, server-made). */
  public static String baseName(String tenantId) {
    return "ws-" + WorkspaceObjects.hash("tenant:" + tenantId, 24);
  }

  /** The labels every object of the tenant carries; no user-controlled text, only hashes of it. */
  private Map<String, String> labels(Tenant tenant) {
    return Map.of(
        WorkspaceObjects.ORCHESTRATOR, settings.orchestratorId(),
        WorkspaceObjects.TENANT, tenant.id(),
        WorkspaceObjects.USER, WorkspaceObjects.hash("user:" + tenant.key().userId(), 32),
        WorkspaceObjects.POLICY, WorkspaceObjects.labelValue(tenant.key().policyId()),
        WorkspaceObjects.CONTEXT, WorkspaceObjects.hash("context:" + tenant.key().contextId(), 32));
  }

  private WorkspaceObjects.Spec spec(Tenant tenant, Policy policy) {
    var limits = policy.limits();
    return new WorkspaceObjects.Spec(baseName(tenant.id()), labels(tenant), policy.image().isEmpty() ? settings.image() : policy.image(),
        policy.env(), limits.cpus(), limits.memoryBytes(), policy.storageBytes(), policy.network().equals("host"), policy.runtime());
  }

  /** A spec good enough for stopping, wiping and deleting, when the policy is not at hand. */
  private WorkspaceObjects.Spec spec(Tenant tenant) {
    return new WorkspaceObjects.Spec(baseName(tenant.id()), labels(tenant), settings.image(), Map.of(), 0, 0, 1, false);
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    WorkspaceObjects.Spec spec = spec(tenant, policy);
    try {
      PersistentVolumeClaim pvc = ensurePvc(spec);
      List<OwnerReference> owned = List.of(WorkspaceObjects.ownerReference(pvc, false));
      String apiKey = ensureSecret(spec, owned);
      client.resource(objects.service(spec, owned)).createOr(NonDeletingOperation::update);
      client.resource(objects.networkPolicy(spec, owned)).createOr(NonDeletingOperation::update);
      Pod wanted = objects.pod(spec, owned);
      Pod existing = pods().withName(spec.name()).get();
      if (existing != null && (existing.getMetadata().getDeletionTimestamp() != null || !Objects.equals(hashOf(existing), hashOf(wanted))
          || WorkspaceObjects.failure(existing).isPresent())) {
        deletePod(spec.name()); // terminating, built for another policy or broken: start afresh
        existing = null;
      }
      if (existing == null) {
        pods().resource(wanted).create();
      }
      Pod ready = awaitReady(spec.name());
      running.add(tenant.id());
      return new Instance.Remote(ready.getMetadata().getName(), ready.getMetadata().getName(), objects.serviceUrl(spec.name()), apiKey);
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be started in the cluster: " + describe(e), e);
    }
  }

  private PersistentVolumeClaim ensurePvc(WorkspaceObjects.Spec spec) {
    var resource = client.persistentVolumeClaims().inNamespace(settings.namespace()).withName(WorkspaceObjects.pvcName(spec.name()));
    PersistentVolumeClaim pvc = resource.get();
    if (pvc != null && pvc.getMetadata().getDeletionTimestamp() != null) {
      throw new Unavailable("the workspace's volume is being deleted; try again shortly");
    }
    if (pvc == null) {
      try {
        pvc = client.resource(objects.pvc(spec, List.of())).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        pvc = resource.require();
      }
    }
    return pvc;
  }

  /** The tenant's key: the one in its Secret, or a new one in a new Secret. */
  private String ensureSecret(WorkspaceObjects.Spec spec, List<OwnerReference> owned) {
    var resource = client.secrets().inNamespace(settings.namespace()).withName(WorkspaceObjects.secretName(spec.name()));
    Optional<String> key = WorkspaceObjects.apiKey(resource.get());
    if (key.isPresent()) {
      return key.get();
    }
    String fresh = WorkspaceObjects.newApiKey();
    resource.delete(); // an unreadable one (no key in it) would keep the pod from ever authenticating us
    awaitGone(resource);
    try {
      client.resource(objects.secret(spec, fresh, owned)).create();
      return fresh;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) { // another replica made it first: use theirs
        return WorkspaceObjects.apiKey(resource.get()).orElseThrow(() -> e);
      }
      throw e;
    }
  }

  private static String hashOf(Pod pod) {
    return pod.getMetadata().getAnnotations() == null ? null : pod.getMetadata().getAnnotations().get(WorkspaceObjects.SPEC_HASH);
  }

  private Pod awaitReady(String name) {
    Pod pod = Polling.until(() -> pods().withName(name).get(),
            p -> p == null || WorkspaceObjects.ready(p) || WorkspaceObjects.failure(p).isPresent(), settings.readyTimeout())
        .orElseThrow(() -> new Unavailable("the workspace pod " + name + " was not ready within " + settings.readyTimeout().toSeconds() + " s"))
        .value();
    if (pod == null) {
      throw new Unavailable("the workspace pod " + name + " was deleted while starting");
    }
    Optional<String> failure = WorkspaceObjects.failure(pod);
    if (failure.isPresent()) {
      throw new Unavailable("the workspace pod " + name + " cannot start: " + failure.get());
    }
    return pod;
  }

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Pod, io.fabric8.kubernetes.api.model.PodList,
      io.fabric8.kubernetes.client.dsl.PodResource> pods() {
    return client.pods().inNamespace(settings.namespace());
  }

  private void deletePod(String name) {
    var resource = pods().withName(name);
    resource.delete();
    awaitGone(resource);
  }

  private <T> void awaitGone(io.fabric8.kubernetes.client.dsl.Resource<T> resource) {
    Polling.until(resource::get, Objects::isNull, Duration.ofSeconds(60))
        .orElseThrow(() -> new Unavailable("a workspace object was not deleted within 60 s; try again shortly"));
  }

  @Override
  public void stop(Tenant tenant) {
    running.remove(tenant.id());
    try {
      deletePod(baseName(tenant.id()));
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace pod could not be deleted: " + describe(e), e);
    }
  }

  @Override
  public void reset(Tenant tenant) {
    WorkspaceObjects.Spec spec = spec(tenant);
    try {
      PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(settings.namespace())
          .withName(WorkspaceObjects.pvcName(spec.name())).get();
      if (pvc == null) {
        return; // never started: nothing to wipe
      }
      deletePod(spec.name());
      String wipe = WorkspaceObjects.wipeName(spec.name());
      deletePod(wipe); // a leftover of an earlier attempt
      pods().resource(objects.wipePod(spec, List.of(WorkspaceObjects.ownerReference(pvc, false)))).create();
      Pod done;
      try {
        done = Polling.until(() -> pods().withName(wipe).get(), p -> p == null || finished(p), Duration.ofMinutes(10))
            .orElseThrow(() -> new Unavailable("wiping the workspace did not finish within 10 minutes")).value();
      } finally {
        pods().withName(wipe).delete();
      }
      if (done == null || !"Succeeded".equals(done.getStatus().getPhase())) {
        throw new Unavailable("wiping the workspace failed" + (done == null ? " (its pod was deleted)"
            : ": " + WorkspaceObjects.failure(done).orElse(String.valueOf(done.getStatus().getPhase()))));
      }
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be wiped: " + describe(e), e);
    }
  }

  private static boolean finished(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase) || WorkspaceObjects.failure(pod).isPresent();
  }

  @Override
  public void destroy(Tenant tenant) {
    running.remove(tenant.id());
    try {
      deleteTenant(tenant.id());
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be deleted: " + describe(e), e);
    }
  }

  /** Deletes every object of one tenant, pods first (a PVC in use waits for its pod anyway). */
  private void deleteTenant(String tenantId) {
    Map<String, String> selector = Map.of(WorkspaceObjects.MANAGED_BY, WorkspaceObjects.MANAGER,
        WorkspaceObjects.ORCHESTRATOR, settings.orchestratorId(), WorkspaceObjects.TENANT, tenantId);
    pods().withLabels(selector).delete();
    client.services().inNamespace(settings.namespace()).withLabels(selector).delete();
    client.network().v1().networkPolicies().inNamespace(settings.namespace()).withLabels(selector).delete();
    client.secrets().inNamespace(settings.namespace()).withLabels(selector).delete();
    client.persistentVolumeClaims().inNamespace(settings.namespace()).withLabels(selector).delete();
  }

  @Override
  public Map<String, Instance> reconcile(Map<String, Tenant> known) {
    Map<String, String> ours = Map.of(WorkspaceObjects.MANAGED_BY, WorkspaceObjects.MANAGER,
        WorkspaceObjects.ORCHESTRATOR, settings.orchestratorId());
    Set<String> seen = new HashSet<>();
    List<List<? extends HasMetadata>> kinds = List.of(
        pods().withLabels(ours).list().getItems(),
        client.services().inNamespace(settings.namespace()).withLabels(ours).list().getItems(),
        client.network().v1().networkPolicies().inNamespace(settings.namespace()).withLabels(ours).list().getItems(),
        client.secrets().inNamespace(settings.namespace()).withLabels(ours).list().getItems(),
        client.persistentVolumeClaims().inNamespace(settings.namespace()).withLabels(ours).list().getItems());
    for (List<? extends HasMetadata> items : kinds) {
      for (HasMetadata item : items) {
        String tenant = item.getMetadata().getLabels().get(WorkspaceObjects.TENANT);
        if (tenant != null) {
          seen.add(tenant);
        }
      }
    }
    Map<String, Instance> adopted = new HashMap<>();
    for (String tenantId : seen) {
      Tenant tenant = known.get(tenantId);
      if (tenant == null) {
        log.info("deleting the workspace objects of unknown tenant {}", tenantId);
        deleteTenant(tenantId);
        continue;
      }
      String name = baseName(tenantId);
      Pod pod = pods().withName(name).get();
      Optional<String> key = WorkspaceObjects.apiKey(client.secrets().inNamespace(settings.namespace())
          .withName(WorkspaceObjects.secretName(name)).get());
      if (WorkspaceObjects.ready(pod) && key.isPresent()) {
        running.add(tenantId);
        adopted.put(tenantId, new Instance.Remote(name, name, objects.serviceUrl(name), key.get()));
      } else if (pod != null) {
        pods().withName(name).delete(); // not serving: the tenant counts as stopped and starts afresh
      }
      pods().withName(WorkspaceObjects.wipeName(name)).delete(); // a wipe interrupted by the restart
    }
    return adopted;
  }

  @Override
  public Set<String> running() {
    return Set.copyOf(running);
  }

  @Override
  public void close() {}

  private static String describe(KubernetesClientException e) {
    return e.getCode() > 0 ? "HTTP " + e.getCode() + " " + (e.getStatus() == null ? "" : e.getStatus().getReason()) : e.getMessage();
  }
}
