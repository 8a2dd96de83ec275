package dev.sandcastle.orchestrator.backend.operator;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.backend.kubernetes.KubernetesBackend;
import dev.sandcastle.orchestrator.backend.kubernetes.Polling;
import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code operator} backend: the orchestrator only writes {@code Terminal} resources and reads
 * their status; {@code sandcastle operator} makes the pods. The orchestrator then needs no rights
 * on pods, volumes or network policies: only on Terminals, and to read the workspaces' Secrets.
 *
 * <ul>
 *   <li>start: creates the tenant's Terminal (or sets {@code suspend: false} and the new spec on
 *       it), marks activity, and waits (polling) until its status is {@code Running} for this
 *       generation, then reads the key from the Secret the status names.
 *   <li>stop: {@code suspend: true}, and waits for {@code Idle}.
 *   <li>reset: a new {@code resetToken}, and waits until the status echoes it.
 *   <li>destroy: deletes the Terminal; the cluster deletes what it owns.
 * </ul>
 *
 * The orchestrator writes {@code idleTimeoutMinutes: 0}: it sees every request and stops idle
 * tenants itself; the operator's own idle timer is for Terminals other clients make.
 */
public final class OperatorBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(OperatorBackend.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String orchestratorId;
  private final Duration readyTimeout;
  private final Clock clock;
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  /** The client is the caller's: it stays open when the backend closes. */
  public OperatorBackend(KubernetesClient client, String namespace, String orchestratorId, Duration readyTimeout, Clock clock) {
    if (!WorkspaceObjects.validLabelValue(orchestratorId) || orchestratorId.isEmpty()) {
      throw new IllegalArgumentException("the orchestrator id must be a label value");
    }
    this.client = client;
    this.namespace = namespace;
    this.orchestratorId = orchestratorId;
    this.readyTimeout = readyTimeout;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "operator";
  }

  /** The tenant's Terminal's name (the same hash-derived name as the kubernetes backend's objects). */
  public static String terminalName(String tenantId) {
    return KubernetesBackend.baseName(tenantId);
  }

  private Map<String, String> labels(Tenant tenant) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(WorkspaceObjects.MANAGED_BY, WorkspaceObjects.MANAGER);
    labels.put(WorkspaceObjects.ORCHESTRATOR, orchestratorId);
    labels.put(WorkspaceObjects.TENANT, tenant.id());
    labels.put(WorkspaceObjects.USER, WorkspaceObjects.hash("user:" + tenant.key().userId(), 32));
    labels.put(WorkspaceObjects.POLICY, WorkspaceObjects.labelValue(tenant.key().policyId()));
    labels.put(WorkspaceObjects.CONTEXT, WorkspaceObjects.hash("context:" + tenant.key().contextId(), 32));
    return labels;
  }

  /** What the orchestrator writes for a tenant under a policy (public for the CRD schema test). */
  public static Terminal.Spec spec(Policy policy) {
    var limits = policy.limits();
    String cpu = limits.cpus() > 0 ? Math.max(1, Math.round(limits.cpus() * 1000)) + "m" : "";
    String memory = limits.memoryBytes() > 0 ? Long.toString(limits.memoryBytes()) : "";
    return new Terminal.Spec(policy.image(), policy.runtime(), policy.env(), new Terminal.Resources(cpu, memory, Long.toString(policy.storageBytes())),
        policy.network(), 0, false, null);
  }

  private io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> terminal(String tenantId) {
    return Terminal.in(client).inNamespace(namespace).withName(terminalName(tenantId));
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    String name = terminalName(tenant.id());
    Terminal.Spec spec = spec(policy);
    String now = clock.instant().toString();
    try {
      GenericKubernetesResource existing = terminal(tenant.id()).get();
      if (existing == null) {
        GenericKubernetesResource fresh = Terminal.resource(namespace, name, labels(tenant), spec);
        fresh.getMetadata().setAnnotations(Map.of(Terminal.LAST_ACTIVITY, now));
        Terminal.in(client).inNamespace(namespace).resource(fresh).create();
      } else {
        String resetToken = Terminal.spec(existing).resetToken();
        terminal(tenant.id()).edit(t -> {
          Terminal.setSpec(t, spec.withResetToken(resetToken));
          Map<String, String> annotations = new LinkedHashMap<>(t.getMetadata().getAnnotations() == null ? Map.of() : t.getMetadata().getAnnotations());
          annotations.put(Terminal.LAST_ACTIVITY, now);
          t.getMetadata().setAnnotations(annotations);
          return t;
        });
      }
      GenericKubernetesResource ready = await(tenant.id(), t -> t == null || current(t) && switch (Terminal.status(t).phase()) {
        case "Running", "Error" -> true;
        default -> false;
      }, readyTimeout, "Running");
      Terminal.Status status = Terminal.status(ready);
      if (status.phase().equals("Error")) {
        throw new Unavailable("the workspace could not be started: " + status.message());
      }
      String key = key(name).orElseThrow(() -> new Unavailable("the workspace's key is not readable yet; try again shortly"));
      running.add(tenant.id());
      return new Instance.Remote(name, name, URI.create(status.serviceUrl()), key);
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be started in the cluster: HTTP " + e.getCode(), e);
    }
  }

  /** Whether the status describes the Terminal's present spec (the operator has seen the last change). */
  private static boolean current(GenericKubernetesResource terminal) {
    Long generation = terminal.getMetadata().getGeneration();
    return generation == null || Terminal.status(terminal).observedGeneration() >= generation;
  }

  private GenericKubernetesResource await(String tenantId, java.util.function.Predicate<GenericKubernetesResource> done, Duration timeout,
      String what) {
    GenericKubernetesResource terminal = Polling.until(() -> terminal(tenantId).get(), done, timeout)
        .orElseThrow(() -> new Unavailable("the operator did not report the workspace " + what + " within " + timeout.toSeconds()
            + " s (is `sandcastle operator` running?)"))
        .value();
    if (terminal == null) {
      throw new Unavailable("the workspace's Terminal was deleted meanwhile");
    }
    return terminal;
  }

  /**
   * The workspace's key, from the Secret the operator made for the Terminal. The name is worked
   * out here rather than taken from {@code status.apiKeySecret}: a status is no authority on which
   * Secret to hand out.
   */
  private Optional<String> key(String terminalName) {
    String secret = WorkspaceObjects.secretName(TerminalReconciler.childBase(terminalName));
    return WorkspaceObjects.apiKey(client.secrets().inNamespace(namespace).withName(secret).get());
  }

  @Override
  public void stop(Tenant tenant) {
    running.remove(tenant.id());
    try {
      if (!suspend(tenant.id())) {
        return;
      }
      await(tenant.id(), t -> t == null || current(t) && Terminal.status(t).phase().equals("Idle"), Duration.ofSeconds(60), "Idle");
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be stopped: HTTP " + e.getCode(), e);
    }
  }

  /** Sets {@code suspend: true}; false when there is no Terminal. */
  private boolean suspend(String tenantId) {
    if (terminal(tenantId).get() == null) {
      return false;
    }
    terminal(tenantId).edit(t -> {
      Terminal.setSpec(t, Terminal.spec(t).withSuspend(true));
      return t;
    });
    return true;
  }

  @Override
  public void reset(Tenant tenant) {
    try {
      GenericKubernetesResource existing = terminal(tenant.id()).get();
      if (existing == null) {
        return;
      }
      String token = WorkspaceObjects.newApiKey().substring(0, 16);
      terminal(tenant.id()).edit(t -> {
        Terminal.setSpec(t, Terminal.spec(t).withSuspend(true).withResetToken(token));
        return t;
      });
      GenericKubernetesResource done = await(tenant.id(), t -> t == null || token.equals(Terminal.status(t).resetToken())
          || current(t) && Terminal.status(t).phase().equals("Error"), Duration.ofMinutes(10), "wiped");
      Terminal.Status status = Terminal.status(done);
      if (!token.equals(status.resetToken())) {
        throw new Unavailable("the workspace could not be wiped: " + status.message());
      }
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be wiped: HTTP " + e.getCode(), e);
    }
  }

  @Override
  public void destroy(Tenant tenant) {
    running.remove(tenant.id());
    try {
      terminal(tenant.id()).delete();
    } catch (KubernetesClientException e) {
      throw new Unavailable("the workspace could not be deleted: HTTP " + e.getCode(), e);
    }
  }

  @Override
  public Map<String, Instance> reconcile(Map<String, Tenant> known) {
    Map<String, Instance> adopted = new HashMap<>();
    var ours = Terminal.in(client).inNamespace(namespace).withLabel(WorkspaceObjects.MANAGED_BY, WorkspaceObjects.MANAGER)
        .withLabel(WorkspaceObjects.ORCHESTRATOR, orchestratorId).list().getItems();
    for (GenericKubernetesResource terminal : ours) {
      String tenantId = terminal.getMetadata().getLabels().get(WorkspaceObjects.TENANT);
      if (tenantId == null || !known.containsKey(tenantId) || !terminal.getMetadata().getName().equals(terminalName(tenantId))) {
        log.info("deleting Terminal {}: no known tenant owns it", terminal.getMetadata().getName());
        Terminal.in(client).inNamespace(namespace).withName(terminal.getMetadata().getName()).delete();
        continue;
      }
      Terminal.Spec spec = Terminal.spec(terminal);
      Terminal.Status status = Terminal.status(terminal);
      Optional<String> key = key(terminal.getMetadata().getName());
      if (!spec.suspend() && status.phase().equals("Running") && current(terminal) && key.isPresent() && !status.serviceUrl().isEmpty()) {
        running.add(tenantId);
        adopted.put(tenantId, new Instance.Remote(terminal.getMetadata().getName(), terminal.getMetadata().getName(),
            URI.create(status.serviceUrl()), key.get()));
      } else if (!spec.suspend()) {
        suspend(tenantId); // not serving: the tenant counts as stopped, and must not run untracked
      }
    }
    return adopted;
  }

  @Override
  public Set<String> running() {
    return Set.copyOf(running);
  }

  @Override
  public void close() {}
}
