package dev.sandcastle.orchestrator.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every workspace pod of a cluster shares, whatever its policy.
 *
 * @param namespace where workspaces live
 * @param image the workspace image when a policy names none; its entrypoint is {@code sandcastle
 *     terminal --sandbox none}
 * @param orchestratorId a label value telling this orchestrator's objects from another's in the
 *     same namespace (replicas sharing one database share it)
 * @param runtimeClassName of pods whose policy (or Terminal) names none, e.g. {@code gvisor} or {@code kata}
 *     ("" = the cluster's default)
 * @param nodeSelector where workspace pods may be scheduled
 * @param tolerations taints workspace pods tolerate
 * @param podTemplate a pod merged under ours: its fields are kept unless we set them (labels,
 *     tolerations, affinity, image pull secrets, sidecars, ...); host namespaces, service accounts,
 *     the pod's security context and the workspace container's security context, mounts and
 *     environment sources are forced to ours (see {@code WorkspaceObjects.lockDown}), and a template
 *     with hostPath volumes or projected service account tokens is refused
 * @param storageClassName the storage class of home volumes ("" = the cluster's default)
 * @param readyTimeout how long a start waits for the pod to be ready before it fails with 503
 * @param serviceDomain the suffix of service host names ({@code svc} or {@code svc.cluster.local})
 * @param orchestratorNamespace where the orchestrator's pods run: workspace pods accept connections
 *     only from pods labelled {@code sandcastle.dev/role: orchestrator} in that namespace ("" = the
 *     workspaces' own namespace)
 * @param allowedRuntimeClasses the runtime classes a Terminal may name besides {@code runtimeClassName}
 *     (the operator refuses others: whoever may write Terminals does not pick how pods are confined);
 *     the orchestrator checks policies' runtimes itself, when they are saved
 */
public record KubernetesSettings(
    String namespace, String image, String orchestratorId, String runtimeClassName, Map<String, String> nodeSelector,
    List<Toleration> tolerations, Optional<Pod> podTemplate, String storageClassName, Duration readyTimeout, String serviceDomain,
    String orchestratorNamespace, java.util.Set<String> allowedRuntimeClasses) {

  /** Settings that allow no runtime class but {@code runtimeClassName}. */
  public KubernetesSettings(
      String namespace, String image, String orchestratorId, String runtimeClassName, Map<String, String> nodeSelector,
      List<Toleration> tolerations, Optional<Pod> podTemplate, String storageClassName, Duration readyTimeout, String serviceDomain,
      String orchestratorNamespace) {
    this(namespace, image, orchestratorId, runtimeClassName, nodeSelector, tolerations, podTemplate, storageClassName, readyTimeout,
        serviceDomain, orchestratorNamespace, java.util.Set.of());
  }

  public KubernetesSettings {
    if (namespace == null || !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw new IllegalArgumentException("a Kubernetes namespace is a DNS label, got '" + namespace + "'");
    }
    if (image == null || image.isBlank()) {
      throw new IllegalArgumentException("the workspace image must be set");
    }
    if (orchestratorId == null || !WorkspaceObjects.validLabelValue(orchestratorId) || orchestratorId.isEmpty()) {
      throw new IllegalArgumentException("the orchestrator id must be a label value, got '" + orchestratorId + "'");
    }
    runtimeClassName = runtimeClassName == null ? "" : runtimeClassName.trim();
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    podTemplate = podTemplate == null ? Optional.empty() : podTemplate;
    podTemplate.ifPresent(WorkspaceObjects::checkTemplate);
    storageClassName = storageClassName == null ? "" : storageClassName.trim();
    if (readyTimeout == null || readyTimeout.isNegative() || readyTimeout.isZero()) {
      throw new IllegalArgumentException("the ready timeout must be positive");
    }
    serviceDomain = serviceDomain == null || serviceDomain.isBlank() ? "svc" : serviceDomain;
    orchestratorNamespace = orchestratorNamespace == null ? "" : orchestratorNamespace.trim();
    allowedRuntimeClasses = allowedRuntimeClasses == null ? java.util.Set.of() : java.util.Set.copyOf(allowedRuntimeClasses);
  }

  /** Whether a workspace may ask for this runtime class: "" (the default), the default by its name, or an allowed one. */
  public boolean allowsRuntimeClass(String name) {
    return name.isEmpty() || name.equals(runtimeClassName) || allowedRuntimeClasses.contains(name);
  }

  /** Settings with the defaults for everything but the namespace, image and orchestrator id. */
  public static KubernetesSettings of(String namespace, String image, String orchestratorId) {
    return new KubernetesSettings(namespace, image, orchestratorId, "", Map.of(), List.of(), Optional.empty(), "",
        Duration.ofMinutes(3), "svc", "");
  }

  public KubernetesSettings withReadyTimeout(Duration timeout) {
    return new KubernetesSettings(namespace, image, orchestratorId, runtimeClassName, nodeSelector, tolerations, podTemplate,
        storageClassName, timeout, serviceDomain, orchestratorNamespace, allowedRuntimeClasses);
  }

  public KubernetesSettings withAllowedRuntimeClasses(java.util.Set<String> allowed) {
    return new KubernetesSettings(namespace, image, orchestratorId, runtimeClassName, nodeSelector, tolerations, podTemplate,
        storageClassName, readyTimeout, serviceDomain, orchestratorNamespace, allowed);
  }
}
