package dev.sandcastle.orchestrator.backend.operator;

import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the operator's control loop for one Terminal: brings its PVC, Secret, Service,
 * NetworkPolicy and Pod in line with its spec (objects built by {@link WorkspaceObjects}, the
 * same as the {@code kubernetes} backend's, all owned by the Terminal so deleting it deletes them),
 * and writes what it sees to {@code status}. It never waits for a pod: a pod's changes come back
 * as new events, and the next pass reads them.
 *
 * <p>Phases: {@code Pending} (no pod yet, or not scheduled), {@code Provisioning} (scheduled, not
 * ready), {@code Running} (ready), {@code Idle} (suspended: no pod, files kept), {@code Error}
 * (the pod cannot start: bad image, crash loop; or a wipe failed).
 *
 * <p>Idle: with {@code spec.idleTimeoutMinutes > 0}, a Running Terminal whose last activity (the
 * later of its pod becoming ready and the {@value Terminal#LAST_ACTIVITY} annotation) is older
 * than that is suspended: the operator sets {@code spec.suspend} itself, so resuming is always the
 * same act for a client (setting it back to false).
 *
 * <p>Not thread-safe for one Terminal: the {@link TerminalOperator} runs one pass at a time.
 */
public final class TerminalReconciler {
  private static final Logger log = LoggerFactory.getLogger(TerminalReconciler.class);
  /** Label on a Terminal's children naming it (hashed when the name is not a label value). */
  public static final String TERMINAL = "sandcastle.dev/terminal";

  private final KubernetesClient client;
  private final WorkspaceObjects objects;
  private final Clock clock;

  public TerminalReconciler(KubernetesClient client, WorkspaceObjects objects, Clock clock) {
    this.client = client;
    this.objects = objects;
    this.clock = clock;
  }

  /** The base name of a Terminal's children: its own name when short enough, else a hash of it. */
  public static String childBase(String terminalName) {
    return terminalName.length() <= WorkspaceObjects.MAX_BASE && terminalName.matches("[a-z]([-a-z0-9]*[a-z0-9])?")
        ? terminalName : "t-" + WorkspaceObjects.hash("terminal:" + terminalName, 24);
  }

  /**
   * Reconciles the Terminal {@code name} in {@code namespace} (the namespace of the operator's
   * settings: children are made there).
   *
   * @throws KubernetesClientException when the API server refuses or cannot be reached; the
   *     caller retries later (a 409 means someone wrote the Terminal meanwhile)
   */
  public void reconcile(String name) {
    String namespace = objects.settings().namespace();
    GenericKubernetesResource terminal = Terminal.in(client).inNamespace(namespace).withName(name).get();
    if (terminal == null || terminal.getMetadata().getDeletionTimestamp() != null) {
      return; // deleted: the garbage collector removes its children (they are owned by it)
    }
    Terminal.Spec spec = Terminal.spec(terminal);
    Terminal.Status before = Terminal.status(terminal);
    String base = childBase(name);
    List<OwnerReference> owner = List.of(WorkspaceObjects.ownerReference(terminal, true));
    WorkspaceObjects.Spec workspace;
    try {
      workspace = workspace(terminal, spec, base);
    } catch (IllegalArgumentException e) {
      // With the generation it describes, or a client waiting for this spec's outcome never sees it.
      write(terminal, before, withGeneration(phase(clock, base, before, "Error", "InvalidSpec", e.getMessage(), null), terminal));
      return;
    }

    PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace).withName(WorkspaceObjects.pvcName(base)).get();
    if (pvc == null) {
      client.resource(objects.pvc(workspace, owner)).create();
    }
    var secret = client.secrets().inNamespace(namespace).withName(WorkspaceObjects.secretName(base));
    if (WorkspaceObjects.apiKey(secret.get()).isEmpty()) {
      secret.delete();
      client.resource(objects.secret(workspace, WorkspaceObjects.newApiKey(), owner)).create();
    }
    client.resource(objects.service(workspace, owner)).createOr(NonDeletingOperation::update);
    client.resource(objects.networkPolicy(workspace, owner)).createOr(NonDeletingOperation::update);

    var pods = client.pods().inNamespace(namespace);
    Pod pod = pods.withName(base).get();
    Terminal.Status status;
    if (spec.suspend()) {
      if (pod != null) {
        pods.withName(base).delete();
      }
      status = wipeIfAsked(spec, before, workspace, owner);
    } else {
      pods.withName(WorkspaceObjects.wipeName(base)).delete(); // a wipe left behind by a resume
      Pod wanted = objects.pod(workspace, owner);
      if (pod != null && pod.getMetadata().getDeletionTimestamp() == null
          && !Objects.equals(annotation(pod, WorkspaceObjects.SPEC_HASH), annotation(wanted, WorkspaceObjects.SPEC_HASH))) {
        pods.withName(base).delete(); // the spec changed: the next pass (on its deletion) makes the new one
        pod = pods.withName(base).get();
      }
      if (pod == null) {
        pod = pods.resource(wanted).create();
      }
      status = observe(terminal, before, pod, base);
      if (status.phase().equals("Running") && idle(spec, status)) {
        Terminal.in(client).inNamespace(namespace).withName(name)
            .edit(t -> {
              Terminal.setSpec(t, Terminal.spec(t).withSuspend(true));
              return t;
            });
        pods.withName(base).delete();
        log.info("terminal {}/{} idle since {}: suspended", namespace, name, status.lastActivityAt());
        status = phase(clock, base, status, "Idle", "IdleTimeout", "no activity for " + spec.idleTimeoutMinutes() + " minutes", null);
        terminal = Terminal.in(client).inNamespace(namespace).withName(name).get();
        if (terminal == null) {
          return;
        }
      }
    }
    write(terminal, before, withGeneration(status, terminal));
  }

  private WorkspaceObjects.Spec workspace(GenericKubernetesResource terminal, Terminal.Spec spec, String base) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(TERMINAL, WorkspaceObjects.labelValue(terminal.getMetadata().getName()));
    Map<String, String> own = terminal.getMetadata().getLabels() == null ? Map.of() : terminal.getMetadata().getLabels();
    for (String key : List.of(WorkspaceObjects.TENANT, WorkspaceObjects.USER, WorkspaceObjects.POLICY, WorkspaceObjects.CONTEXT)) {
      if (own.containsKey(key)) {
        labels.put(key, WorkspaceObjects.labelValue(own.get(key)));
      }
    }
    if (!spec.network().equals("none") && !spec.network().equals("host")) {
      throw new IllegalArgumentException("spec.network must be none or host");
    }
    double cpus = spec.resources().cpu().isEmpty() ? 0 : Quantity.getAmountInBytes(new Quantity(spec.resources().cpu())).doubleValue();
    long memory = spec.resources().memory().isEmpty() ? 0 : Quantity.getAmountInBytes(new Quantity(spec.resources().memory())).longValueExact();
    long storage = Quantity.getAmountInBytes(new Quantity(spec.resources().storage())).longValueExact();
    if (!objects.settings().allowsRuntimeClass(spec.runtimeClassName())) {
      throw new IllegalArgumentException("spec.runtimeClassName '" + spec.runtimeClassName() + "' is not allowed by the operator (its"
          + " default runtime class, or one of --allowed-runtimes)");
    }
    String image = spec.image().isEmpty() ? objects.settings().image() : spec.image();
    return new WorkspaceObjects.Spec(base, labels, image, spec.env(), cpus, memory, storage, spec.network().equals("host"),
        spec.runtimeClassName());
  }

  /** The status that the pod's state implies. */
  private Terminal.Status observe(GenericKubernetesResource terminal, Terminal.Status before, Pod pod, String base) {
    Optional<String> failure = WorkspaceObjects.failure(pod);
    if (failure.isPresent()) {
      return phase(clock, base, before, "Error", "PodFailed", failure.get(), null);
    }
    if (WorkspaceObjects.ready(pod)) {
      Instant now = clock.instant();
      Instant activity = before.phase().equals("Running") ? before.lastActivity().orElse(now) : now;
      Optional<Instant> annotated = annotationTime(terminal);
      if (annotated.isPresent() && annotated.get().isAfter(activity)) {
        activity = annotated.get();
      }
      return phase(clock, base, before, "Running", "PodReady", "", objects.serviceUrl(base).toString())
          .withActivity(activity);
    }
    boolean scheduled = pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream().anyMatch(c -> "PodScheduled".equals(c.getType()) && "True".equals(c.getStatus()));
    boolean running = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    return scheduled || running ? phase(clock, base, before, "Provisioning", "PodStarting", "waiting for the pod to be ready", null)
        : phase(clock, base, before, "Pending", "PodPending", "waiting for the pod to be scheduled", null);
  }

  private Terminal.Status wipeIfAsked(Terminal.Spec spec, Terminal.Status before, WorkspaceObjects.Spec workspace, List<OwnerReference> owner) {
    Terminal.Condition ready = before.conditions().stream().filter(c -> c.type().equals("Ready")).findFirst().orElse(null);
    boolean wasIdle = before.phase().equals("Idle") && ready != null; // keep why (suspended by hand, or idle timeout)
    Terminal.Status idle = phase(clock, workspace.name(), before, "Idle", wasIdle ? ready.reason() : "Suspended",
        wasIdle ? before.message() : "", null);
    if (spec.resetToken().isEmpty() || spec.resetToken().equals(before.resetToken())) {
      return idle;
    }
    var pods = client.pods().inNamespace(objects.settings().namespace());
    if (pods.withName(workspace.name()).get() != null) {
      return idle; // the workspace pod is still going away; its deletion brings us back
    }
    String wipe = WorkspaceObjects.wipeName(workspace.name());
    Pod pod = pods.withName(wipe).get();
    if (pod == null) {
      pods.resource(objects.wipePod(workspace, owner)).create();
      return idle;
    }
    String phase = pod.getStatus() == null ? "" : String.valueOf(pod.getStatus().getPhase());
    if (phase.equals("Succeeded")) {
      pods.withName(wipe).delete();
      return new Terminal.Status(idle.phase(), idle.serviceUrl(), idle.apiKeySecret(), idle.lastActivityAt(), spec.resetToken(),
          idle.observedGeneration(), "home wiped", idle.conditions());
    }
    if (phase.equals("Failed") || WorkspaceObjects.failure(pod).isPresent()) {
      pods.withName(wipe).delete();
      return phase(clock, workspace.name(), before, "Error", "ResetFailed", "wiping the home volume failed: "
          + WorkspaceObjects.failure(pod).orElse(phase), null);
    }
    return idle; // still wiping
  }

  private boolean idle(Terminal.Spec spec, Terminal.Status status) {
    if (spec.idleTimeoutMinutes() <= 0) {
      return false;
    }
    Instant last = status.lastActivity().orElse(clock.instant());
    return Duration.between(last, clock.instant()).compareTo(Duration.ofMinutes(spec.idleTimeoutMinutes())) > 0;
  }

  private static Optional<Instant> annotationTime(GenericKubernetesResource terminal) {
    String raw = terminal.getMetadata().getAnnotations() == null ? null : terminal.getMetadata().getAnnotations().get(Terminal.LAST_ACTIVITY);
    try {
      return raw == null ? Optional.empty() : Optional.of(Instant.parse(raw));
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static String annotation(Pod pod, String key) {
    return pod.getMetadata().getAnnotations() == null ? null : pod.getMetadata().getAnnotations().get(key);
  }

  /** {@code status} in {@code phase}, with its Ready condition changed (and its transition time) only when it changes. */
  private static Terminal.Status phase(Clock clock, String base, Terminal.Status status, String phase, String reason, String message, String serviceUrl) {
    String ready = phase.equals("Running") ? "True" : "False";
    List<Terminal.Condition> conditions = new ArrayList<>();
    Terminal.Condition previous = null;
    for (Terminal.Condition condition : status.conditions()) {
      if (condition.type().equals("Ready")) {
        previous = condition;
      } else {
        conditions.add(condition);
      }
    }
    String since = previous != null && previous.status().equals(ready) ? previous.lastTransitionTime() : clock.instant().toString();
    conditions.add(new Terminal.Condition("Ready", ready, reason, message, since));
    return new Terminal.Status(phase, serviceUrl == null ? "" : serviceUrl, WorkspaceObjects.secretName(base), status.lastActivityAt(), status.resetToken(),
        status.observedGeneration(), message, conditions);
  }

  private static Terminal.Status withGeneration(Terminal.Status status, GenericKubernetesResource terminal) {
    Long generation = terminal.getMetadata().getGeneration();
    return new Terminal.Status(status.phase(), status.serviceUrl(), status.apiKeySecret(), status.lastActivityAt(), status.resetToken(),
        generation == null ? 0L : generation, status.message(), status.conditions());
  }

  private void write(GenericKubernetesResource terminal, Terminal.Status before, Terminal.Status after) {
    if (after.equals(before)) {
      return; // no write, no event, no loop
    }
    Terminal.setStatus(terminal, after);
    Terminal.in(client).inNamespace(terminal.getMetadata().getNamespace()).resource(terminal).updateStatus();
    if (!after.phase().equals(before.phase())) {
      log.info("terminal {}/{}: {} -> {}{}", terminal.getMetadata().getNamespace(), terminal.getMetadata().getName(), before.phase(),
          after.phase(), after.message().isEmpty() ? "" : " (" + after.message() + ")");
    }
  }
}
