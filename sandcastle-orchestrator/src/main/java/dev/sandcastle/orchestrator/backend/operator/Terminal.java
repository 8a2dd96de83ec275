package dev.sandcastle.orchestrator.backend.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code Terminal} custom resource ({@code sandcastle.dev/v1alpha1}, short name {@code term}):
 * one workspace, written by the orchestrator's {@code operator} backend (or by anyone with
 * {@code kubectl}) and made real by {@code sandcastle operator}. Its schema is
 * {@code deploy/kubernetes/crd-terminal.yaml}; a test checks that every field written here is in it
 * (the API server prunes fields its schema lacks, silently).
 *
 * <p>The group is ours, {@code sandcastle.dev}, not upstream's {@code openwebui.com}: our schema
 * differs from upstream's, and a cluster may run both operators; two CRDs named
 * {@code terminals.openwebui.com} with different schemas cannot coexist.
 *
 * <p>Resources are handled as fabric8's {@link GenericKubernetesResource} and converted to the
 * records below, so no annotated classes or reflection-driven registration are needed.
 */
public final class Terminal {
  public static final String GROUP = "sandcastle.dev";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "Terminal";
  public static final String PLURAL = "terminals";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  /** An RFC 3339 time at which a client last used the workspace; the operator's idle timer counts from the latest. */
  public static final String LAST_ACTIVITY = "sandcastle.dev/last-activity";

  public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
      .withGroup(GROUP).withVersion(VERSION).withKind(KIND).withPlural(PLURAL).withNamespaced(true).build();

  private static final JsonMapper MAPPER = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private Terminal() {}

  /**
   * What a Terminal asks for.
   *
   * @param image the container image ("" = the operator's default)
   * @param runtimeClassName the pod's RuntimeClass, e.g. {@code gvisor} ("" = the operator's default);
   *     the operator refuses one it does not allow ({@code --allowed-runtimes})
   * @param env extra environment of the workspace
   * @param resources limits of the pod and size of the home volume
   * @param network {@code none} (no connections out of the pod) or {@code host} (any)
   * @param idleTimeoutMinutes the operator suspends the Terminal after this long without activity (0 = never)
   * @param suspend true: no pod runs (files stay); the Terminal is {@code Idle}
   * @param resetToken a new value asks the operator to wipe the home volume (while suspended);
   *     {@code status.resetToken} echoes it when done
   */
  public record Spec(String image, String runtimeClassName, Map<String, String> env, Resources resources, String network,
      Integer idleTimeoutMinutes, Boolean suspend, String resetToken) {
    public Spec {
      image = image == null ? "" : image;
      runtimeClassName = runtimeClassName == null ? "" : runtimeClassName.trim();
      env = env == null ? Map.of() : Map.copyOf(env);
      resources = resources == null ? new Resources(null, null, null) : resources;
      network = network == null || network.isEmpty() ? "none" : network;
      idleTimeoutMinutes = idleTimeoutMinutes == null ? 0 : idleTimeoutMinutes;
      suspend = suspend != null && suspend;
      resetToken = resetToken == null ? "" : resetToken;
    }

    public Spec withSuspend(boolean value) {
      return new Spec(image, runtimeClassName, env, resources, network, idleTimeoutMinutes, value, resetToken);
    }

    public Spec withResetToken(String token) {
      return new Spec(image, runtimeClassName, env, resources, network, idleTimeoutMinutes, suspend, token);
    }
  }

  /**
   * Limits as Kubernetes quantities.
   *
   * @param cpu e.g. {@code 1500m} ("" = none)
   * @param memory e.g. {@code 512Mi} ("" = none)
   * @param storage size of the home volume, e.g. {@code 10Gi}
   */
  public record Resources(String cpu, String memory, String storage) {
    public Resources {
      cpu = cpu == null ? "" : cpu;
      memory = memory == null ? "" : memory;
      storage = storage == null || storage.isEmpty() ? "10Gi" : storage;
    }
  }

  /** One condition, in the usual Kubernetes shape. */
  public record Condition(String type, String status, String reason, String message, String lastTransitionTime) {}

  /**
   * What the operator reports.
   *
   * @param phase {@code Pending | Provisioning | Running | Idle | Error}
   * @param serviceUrl where the workspace answers inside the cluster (when Running)
   * @param apiKeySecret the Secret whose {@code api-key} the workspace expects as bearer key
   * @param lastActivityAt RFC 3339; the later of the pod becoming ready and the activity annotation
   * @param resetToken the last {@code spec.resetToken} whose wipe finished
   * @param observedGeneration the Terminal's generation this status describes
   * @param message a human-readable reason for the phase
   */
  public record Status(String phase, String serviceUrl, String apiKeySecret, String lastActivityAt, String resetToken,
      Long observedGeneration, String message, List<Condition> conditions) {
    public Status {
      phase = phase == null ? "Pending" : phase;
      serviceUrl = serviceUrl == null ? "" : serviceUrl;
      apiKeySecret = apiKeySecret == null ? "" : apiKeySecret;
      lastActivityAt = lastActivityAt == null ? "" : lastActivityAt;
      resetToken = resetToken == null ? "" : resetToken;
      observedGeneration = observedGeneration == null ? 0L : observedGeneration;
      message = message == null ? "" : message;
      conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }

    public static Status initial() {
      return new Status(null, null, null, null, null, null, null, null);
    }

    public Status withActivity(Instant at) {
      return new Status(phase, serviceUrl, apiKeySecret, at.toString(), resetToken, observedGeneration, message, conditions);
    }

    public Optional<Instant> lastActivity() {
      try {
        return lastActivityAt.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(lastActivityAt));
      } catch (java.time.format.DateTimeParseException e) {
        return Optional.empty();
      }
    }
  }

  /** Terminals of a namespace. */
  public static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> in(
      KubernetesClient client) {
    return client.genericKubernetesResources(CONTEXT);
  }

  public static GenericKubernetesResource resource(String namespace, String name, Map<String, String> labels, Spec spec) {
    GenericKubernetesResource terminal = new GenericKubernetesResource();
    terminal.setApiVersion(API_VERSION);
    terminal.setKind(KIND);
    terminal.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(namespace)
        .withLabels(labels).build());
    setSpec(terminal, spec);
    return terminal;
  }

  public static Spec spec(GenericKubernetesResource terminal) {
    Object raw = terminal.getAdditionalProperties().get("spec");
    return raw == null ? new Spec(null, null, null, null, null, null, null, null) : MAPPER.convertValue(raw, Spec.class);
  }

  public static Status status(GenericKubernetesResource terminal) {
    Object raw = terminal.getAdditionalProperties().get("status");
    return raw == null ? Status.initial() : MAPPER.convertValue(raw, Status.class);
  }

  public static void setSpec(GenericKubernetesResource terminal, Spec spec) {
    terminal.getAdditionalProperties().put("spec", tree(spec));
  }

  public static void setStatus(GenericKubernetesResource terminal, Status status) {
    terminal.getAdditionalProperties().put("status", tree(status));
  }

  /** A record as the nested maps and lists that go on the wire, without empty values (absent = default). */
  static Object tree(Object value) {
    return prune(MAPPER.convertValue(value, Object.class));
  }

  private static Object prune(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((key, item) -> {
        Object pruned = prune(item);
        if (pruned != null) {
          out.put((String) key, pruned);
        }
      });
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object item : list) {
        out.add(prune(item));
      }
      return out;
    }
    return value;
  }
}
