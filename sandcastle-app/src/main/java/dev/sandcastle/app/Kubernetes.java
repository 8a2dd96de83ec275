package dev.sandcastle.app;

import dev.sandcastle.orchestrator.backend.kubernetes.KubernetesSettings;
import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Wiring shared by the kubernetes and operator backends and {@code sandcastle operator}: the
 * cluster client (configured as kubectl is: in a pod from its service account, elsewhere from
 * ~/.kube/config or KUBECONFIG) and the workspace settings from {@link Config.Cluster}.
 */
final class Kubernetes {
  private Kubernetes() {}

  static KubernetesClient client() {
    return new KubernetesClientBuilder().build();
  }

  /** The namespace of workspaces: the configured one, else the client's (a pod's own). */
  static String namespace(Config config, KubernetesClient client) {
    String configured = config.orchestration().cluster().namespace();
    String namespace = !configured.isEmpty() ? configured : client.getNamespace();
    if (namespace == null || namespace.isBlank()) {
      throw new Config.Invalid("no Kubernetes namespace: set --kubernetes-namespace");
    }
    return namespace;
  }

  /**
   * The workspace settings.
   *
   * @param orchestratorId the label that tells this orchestrator's objects apart: a hash of where its
   *     tenants are recorded (replicas sharing one database share it)
   */
  static KubernetesSettings settings(Config config, KubernetesClient client, String orchestratorId) {
    Config.Cluster c = config.orchestration().cluster();
    List<Toleration> tolerations = new ArrayList<>();
    for (String spec : c.tolerations()) {
      int colon = spec.lastIndexOf(':');
      String keyValue = spec.substring(0, colon);
      int eq = keyValue.indexOf('=');
      tolerations.add(eq < 0 ? new Toleration(spec.substring(colon + 1), keyValue, "Exists", null, null)
          : new Toleration(spec.substring(colon + 1), keyValue.substring(0, eq), "Equal", null, keyValue.substring(eq + 1)));
    }
    Optional<Pod> template = c.podTemplate().map(path -> {
      try (InputStream in = Files.newInputStream(path)) {
        return Serialization.unmarshal(in, Pod.class);
      } catch (IOException | RuntimeException e) {
        throw new Config.Invalid("--kubernetes-pod-template " + path + " is not a readable YAML Pod: " + Server.rootCause(e));
      }
    });
    String own = client.getNamespace() == null ? "" : client.getNamespace();
    try {
      return new KubernetesSettings(namespace(config, client), c.image(), orchestratorId, c.runtimeClass(), c.nodeSelector(), tolerations,
          template, c.storageClass(), c.readyTimeout(), "svc", own, config.orchestration().allowedRuntimes());
    } catch (IllegalArgumentException e) {
      throw new Config.Invalid(e.getMessage());
    }
  }

  /** A label value naming this orchestrator: a hash of its database (or data directory, for the embedded one). */
  static String orchestratorId(Config config) {
    String database = config.orchestration().databaseUrl();
    return "o-" + WorkspaceObjects.hash(database.isEmpty() ? config.dataDir().toString() : database, 16);
  }
}
