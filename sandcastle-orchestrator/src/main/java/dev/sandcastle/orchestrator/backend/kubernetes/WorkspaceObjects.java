package dev.sandcastle.orchestrator.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The one place that says what a workspace is made of in a cluster: a PVC (the home directory,
 * outliving pods), a Secret (the workspace API key), a ClusterIP Service, a NetworkPolicy and the
 * Pod running {@code sandcastle terminal}; and the short-lived pod that wipes a home. Both the
 * {@code kubernetes} backend and the operator build their objects here, so they cannot drift apart.
 *
 * <p>Names derive from a base name (at most {@value #MAX_BASE} characters, a DNS-1035 label) with
 * fixed suffixes. Labels carry no user-controlled text: ids that could be anything (user ids,
 * contexts) are hashed, so a label value is always valid and one tenant's text can never select
 * another tenant's objects.
 */
public final class WorkspaceObjects {
  public static final int PORT = 8000;
  public static final int UID = 1000;
  public static final int MAX_BASE = 47; // + "-home" / "-wipe" stays far below 63
  public static final String HOME = "/home/user";
  public static final String API_KEY_FIELD = "api-key";

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGER = "sandcastle";
  public static final String APP = "app.kubernetes.io/name";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String WORKSPACE = "sandcastle.dev/workspace";
  public static final String ORCHESTRATOR = "sandcastle.dev/orchestrator";
  public static final String TENANT = "sandcastle.dev/tenant";
  public static final String USER = "sandcastle.dev/user";
  public static final String POLICY = "sandcastle.dev/policy";
  public static final String CONTEXT = "sandcastle.dev/context";
  public static final String ROLE = "sandcastle.dev/role";
  /** A hash of the pod spec we built: a running pod whose hash differs was built for another policy. */
  public static final String SPEC_HASH = "sandcastle.dev/spec-hash";

  /** What a workspace with network access may not reach: link-local (cloud metadata), private and carrier-grade NAT ranges. */
  public static final List<String> PRIVATE_V4 = List.of("169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10");
  /** The IPv6 ranges a workspace may not reach: unique-local and link-local. */
  public static final List<String> PRIVATE_V6 = List.of("fc00::/7", "fe80::/10");

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /**
   * What one workspace needs, whoever asks for it.
   *
   * @param name the base name of its objects: a DNS-1035 label of at most {@value #MAX_BASE} characters
   * @param labels identifying labels (tenant, user hash, policy, ...), added to every object; valid label values
   * @param image its container image
   * @param env extra environment of the workspace ({@code SANDCASTLE_*} names are ours and dropped)
   * @param cpus CPU limit in cores (0 = none)
   * @param memoryBytes memory limit (0 = none)
   * @param storageBytes size of the home volume
   * @param network whether it may open connections out of the pod
   * @param runtimeClassName its pods' RuntimeClass ("" = the settings' {@code runtimeClassName})
   */
  public record Spec(String name, Map<String, String> labels, String image, Map<String, String> env, double cpus, long memoryBytes,
      long storageBytes, boolean network, String runtimeClassName) {
    /** A workspace under the settings' runtime class. */
    public Spec(String name, Map<String, String> labels, String image, Map<String, String> env, double cpus, long memoryBytes,
        long storageBytes, boolean network) {
      this(name, labels, image, env, cpus, memoryBytes, storageBytes, network, "");
    }

    public Spec {
      if (name == null || name.length() > MAX_BASE || !name.matches("[a-z]([-a-z0-9]*[a-z0-9])?")) {
        throw new IllegalArgumentException("a workspace name is a DNS-1035 label of at most " + MAX_BASE + " characters, got '" + name + "'");
      }
      labels = labels == null ? Map.of() : Map.copyOf(labels);
      labels.forEach((key, value) -> {
        if (!validLabelValue(value)) {
          throw new IllegalArgumentException("invalid value of label " + key + ": '" + value + "'");
        }
      });
      if (image == null || image.isBlank()) {
        throw new IllegalArgumentException("a workspace needs an image");
      }
      env = env == null ? Map.of() : Map.copyOf(env);
      if (cpus < 0 || memoryBytes < 0 || storageBytes <= 0) {
        throw new IllegalArgumentException("workspace limits must not be negative, and storage must be positive");
      }
      runtimeClassName = runtimeClassName == null ? "" : runtimeClassName.trim();
    }
  }

  private final KubernetesSettings settings;

  public WorkspaceObjects(KubernetesSettings settings) {
    this.settings = settings;
  }

  public KubernetesSettings settings() {
    return settings;
  }

  // ---- names ---------------------------------------------------------------------------------

  public static String pvcName(String base) {
    return base + "-home";
  }

  public static String secretName(String base) {
    return base + "-key";
  }

  public static String wipeName(String base) {
    return base + "-wipe";
  }

  /** The URL of a workspace's Service, as seen from inside the cluster. */
  public URI serviceUrl(String base) {
    return URI.create("http://" + base + "." + settings.namespace() + "." + settings.serviceDomain() + ":" + PORT);
  }

  /** The first {@code length} hex digits of the SHA-256 of {@code text}: a name or label value that tells nothing. */
  public static String hash(String text, int length) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, length);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A label value: at most 63 of {@code [A-Za-z0-9_.-]}, beginning and ending with a letter or digit (or empty). */
  public static boolean validLabelValue(String value) {
    return value != null && value.length() <= 63 && (value.isEmpty() || value.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"));
  }

  /** {@code value} itself when it is a valid label value, else 32 hex digits of its hash. */
  public static String labelValue(String value) {
    return validLabelValue(value) ? value : hash(value, 32);
  }

  /** A fresh workspace API key: 256 random bits. */
  public static String newApiKey() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The API key a workspace Secret holds. */
  public static Optional<String> apiKey(Secret secret) {
    if (secret == null || secret.getData() == null || secret.getData().get(API_KEY_FIELD) == null) {
      return Optional.empty();
    }
    String key = new String(Base64.getDecoder().decode(secret.getData().get(API_KEY_FIELD)), StandardCharsets.UTF_8);
    return key.isEmpty() ? Optional.empty() : Optional.of(key);
  }

  /** A reference making {@code owner} the owner of an object: the garbage collector deletes the object with it. */
  public static OwnerReference ownerReference(HasMetadata owner, boolean controller) {
    return new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(controller)
        .withBlockOwnerDeletion(false).build();
  }

  // ---- objects -------------------------------------------------------------------------------

  private ObjectMeta meta(String name, Spec spec, String component, List<OwnerReference> owners) {
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    labels.put(MANAGED_BY, MANAGER);
    labels.put(APP, "sandcastle-workspace");
    labels.put(COMPONENT, component);
    labels.put(WORKSPACE, spec.name());
    return new ObjectMetaBuilder().withName(name).withNamespace(settings.namespace()).withLabels(labels)
        .withOwnerReferences(owners).build();
  }

  /** The home directory's volume claim: made once, kept while the workspace is stopped. */
  public PersistentVolumeClaim pvc(Spec spec, List<OwnerReference> owners) {
    var builder = new PersistentVolumeClaimBuilder().withMetadata(meta(pvcName(spec.name()), spec, "home", owners))
        .withNewSpec().withAccessModes("ReadWriteOnce")
        .withNewResources().addToRequests("storage", new Quantity(Long.toString(spec.storageBytes()))).endResources();
    if (!settings.storageClassName().isEmpty()) {
      builder = builder.withStorageClassName(settings.storageClassName());
    }
    return builder.endSpec().build();
  }

  /** The Secret holding the workspace's API key; the pod reads it from its environment. */
  public Secret secret(Spec spec, String apiKey, List<OwnerReference> owners) {
    return new SecretBuilder().withMetadata(meta(secretName(spec.name()), spec, "key", owners)).withType("Opaque")
        .withImmutable(true)
        .addToData(API_KEY_FIELD, Base64.getEncoder().encodeToString(apiKey.getBytes(StandardCharsets.UTF_8))).build();
  }

  /** A ClusterIP Service in front of the workspace pod (stable name while pods come and go). */
  public Service service(Spec spec, List<OwnerReference> owners) {
    return new ServiceBuilder().withMetadata(meta(spec.name(), spec, "service", owners))
        .withNewSpec().withType("ClusterIP").withSelector(podSelector(spec))
        .addNewPort().withName("http").withProtocol("TCP").withPort(PORT).withNewTargetPort(PORT).endPort()
        .endSpec().build();
  }

  private static Map<String, String> podSelector(Spec spec) {
    return Map.of(WORKSPACE, spec.name(), COMPONENT, "workspace");
  }

  /**
   * The workspace's NetworkPolicy: connections in only from the orchestrator's pods, on the API
   * port; connections out denied (not even DNS) unless the policy allows network, then allowed to
   * public addresses only (all but {@link #PRIVATE_V4} and {@link #PRIVATE_V6}: not to cloud metadata
   * 169.254.169.254, the cluster's pods and services or the internal network) plus DNS to the
   * cluster's DNS pods, so names still resolve.
   */
  public NetworkPolicy networkPolicy(Spec spec, List<OwnerReference> owners) {
    var orchestrator = new NetworkPolicyPeerBuilder().withPodSelector(new LabelSelectorBuilder().addToMatchLabels(ROLE, "orchestrator").build());
    if (!settings.orchestratorNamespace().isEmpty()) {
      orchestrator = orchestrator.withNamespaceSelector(new LabelSelectorBuilder()
          .addToMatchLabels("kubernetes.io/metadata.name", settings.orchestratorNamespace()).build());
    }
    var builder = new NetworkPolicyBuilder().withMetadata(meta(spec.name(), spec, "network", owners))
        .withNewSpec().withPodSelector(new LabelSelector(null, Map.of(WORKSPACE, spec.name())))
        .withPolicyTypes("Ingress", "Egress")
        .addNewIngress().withFrom(orchestrator.build()).addNewPort().withProtocol("TCP").withNewPort(PORT).endPort().endIngress();
    if (spec.network()) {
      builder = builder.addNewEgress()
          .addNewTo().withNewIpBlock().withCidr("0.0.0.0/0").withExcept(PRIVATE_V4).endIpBlock().endTo()
          .addNewTo().withNewIpBlock().withCidr("::/0").withExcept(PRIVATE_V6).endIpBlock().endTo()
          .endEgress()
          .addNewEgress()
          .addNewTo().withNamespaceSelector(new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", "kube-system").build())
          .withPodSelector(new LabelSelectorBuilder().addToMatchLabels("k8s-app", "kube-dns").build()).endTo()
          .addNewPort().withProtocol("UDP").withNewPort(53).endPort()
          .addNewPort().withProtocol("TCP").withNewPort(53).endPort()
          .endEgress();
    }
    return builder.endSpec().build();
  }

  /** The workspace pod: {@code sandcastle terminal} on port 8000, locked down, its home on the PVC. */
  public Pod pod(Spec spec, List<OwnerReference> owners) {
    List<EnvVar> env = new ArrayList<>();
    spec.env().entrySet().stream().filter(e -> !reserved(e.getKey())).sorted(Map.Entry.comparingByKey())
        .forEach(e -> env.add(new EnvVar(e.getKey(), e.getValue(), null)));
    env.add(new EnvVarBuilder().withName("SANDCASTLE_API_KEY").withNewValueFrom().withNewSecretKeyRef()
        .withName(secretName(spec.name())).withKey(API_KEY_FIELD).endSecretKeyRef().endValueFrom().build());
    env.add(new EnvVar("SANDCASTLE_GENERATE_API_KEY", "false", null));
    env.add(new EnvVar("SANDCASTLE_HOST", "0.0.0.0", null));
    env.add(new EnvVar("SANDCASTLE_PORT", Integer.toString(PORT), null));
    env.add(new EnvVar("SANDCASTLE_SANDBOX", "none", null));
    env.add(new EnvVar("SANDCASTLE_WORKSPACE", HOME, null));
    env.add(new EnvVar("SANDCASTLE_DATA_DIR", "/tmp/sandcastle", null));
    env.add(new EnvVar("HOME", HOME, null));
    var resources = new ResourceRequirementsBuilder();
    if (spec.cpus() > 0) {
      Quantity cpu = new Quantity(Math.max(1, Math.round(spec.cpus() * 1000)) + "m");
      resources = resources.addToRequests("cpu", cpu).addToLimits("cpu", cpu);
    }
    if (spec.memoryBytes() > 0) {
      Quantity memory = new Quantity(Long.toString(spec.memoryBytes()));
      resources = resources.addToRequests("memory", memory).addToLimits("memory", memory);
    }
    Pod ours = new PodBuilder().withMetadata(meta(spec.name(), spec, "workspace", owners))
        .withNewSpec()
        .withRestartPolicy("Always")
        .withAutomountServiceAccountToken(false) // untrusted code must not get credentials for the API server
        .withEnableServiceLinks(false) // nor a list of the namespace's services
        .withHostname("workspace")
        .withTerminationGracePeriodSeconds(10L)
        .withSecurityContext(podSecurity())
        .withRuntimeClassName(runtimeClass(spec))
        .withNodeSelector(settings.nodeSelector().isEmpty() ? null : settings.nodeSelector())
        .withTolerations(settings.tolerations())
        .addNewContainer().withName("workspace").withImage(spec.image()).withImagePullPolicy("IfNotPresent")
        .withEnv(env)
        .addNewPort().withName("http").withContainerPort(PORT).withProtocol("TCP").endPort()
        .withNewReadinessProbe().withNewHttpGet().withPath("/health").withNewPort(PORT).endHttpGet()
        .withPeriodSeconds(1).withTimeoutSeconds(2).withFailureThreshold(3).endReadinessProbe()
        .withNewLivenessProbe().withNewHttpGet().withPath("/health").withNewPort(PORT).endHttpGet()
        .withInitialDelaySeconds(30).withPeriodSeconds(20).withTimeoutSeconds(5).withFailureThreshold(3).endLivenessProbe()
        .withResources(resources.build())
        .withSecurityContext(containerSecurity())
        .addNewVolumeMount().withName("home").withMountPath(HOME).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("home").withNewPersistentVolumeClaim().withClaimName(pvcName(spec.name())).endPersistentVolumeClaim().endVolume()
        .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("1Gi")).endEmptyDir().endVolume()
        .endSpec().build();
    Pod pod = settings.podTemplate().map(template -> lockDown(merge(template, ours), ours)).orElse(ours);
    Map<String, String> annotations = new LinkedHashMap<>(pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations());
    annotations.put(SPEC_HASH, hash(SERIALIZATION.asJson(pod.getSpec()), 16));
    pod.getMetadata().setAnnotations(annotations);
    return pod;
  }

  /**
   * A pod that empties the home volume and exits: {@code find /home/user -mindepth 1 -delete}, as
   * the workspace's own uid, with the workspace's image and lock-down.
   */
  public Pod wipePod(Spec spec, List<OwnerReference> owners) {
    return new PodBuilder().withMetadata(meta(wipeName(spec.name()), spec, "wipe", owners))
        .withNewSpec()
        .withRestartPolicy("Never")
        .withActiveDeadlineSeconds(600L)
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withSecurityContext(podSecurity())
        .withRuntimeClassName(runtimeClass(spec))
        .withNodeSelector(settings.nodeSelector().isEmpty() ? null : settings.nodeSelector())
        .withTolerations(settings.tolerations())
        .addNewContainer().withName("wipe").withImage(spec.image()).withImagePullPolicy("IfNotPresent")
        .withCommand("find", HOME, "-mindepth", "1", "-delete")
        .withResources(new ResourceRequirementsBuilder().addToLimits("cpu", new Quantity("500m"))
            .addToLimits("memory", new Quantity("128Mi")).build())
        .withSecurityContext(containerSecurity())
        .addNewVolumeMount().withName("home").withMountPath(HOME).endVolumeMount()
        .endContainer()
        .addNewVolume().withName("home").withNewPersistentVolumeClaim().withClaimName(pvcName(spec.name())).endPersistentVolumeClaim().endVolume()
        .endSpec().build();
  }

  /** The spec's runtime class, else the settings'; null (the cluster's default) when neither names one. */
  private String runtimeClass(Spec spec) {
    String name = spec.runtimeClassName().isEmpty() ? settings.runtimeClassName() : spec.runtimeClassName();
    return name.isEmpty() ? null : name;
  }

  private static io.fabric8.kubernetes.api.model.PodSecurityContext podSecurity() {
    return new PodSecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser((long) UID).withRunAsGroup((long) UID)
        .withFsGroup((long) UID).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build();
  }

  private static SecurityContext containerSecurity() {
    return new SecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser((long) UID).withRunAsGroup((long) UID)
        .withAllowPrivilegeEscalation(false).withPrivileged(false).withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build();
  }

  private static boolean reserved(String name) {
    return name.startsWith("SANDCASTLE_") || name.startsWith("OPEN_TERMINAL_") || name.equals("HOME");
  }

  /**
   * Refuses a pod template that would hand the host or the cluster's credentials to a pod running
   * untrusted code: {@code hostPath} volumes and projected service account tokens (whatever
   * container mounts them, the pod holds them).
   *
   * @throws IllegalArgumentException saying what the template must drop
   */
  public static void checkTemplate(Pod template) {
    if (template.getSpec() == null || template.getSpec().getVolumes() == null) {
      return;
    }
    for (Volume volume : template.getSpec().getVolumes()) {
      if (volume.getHostPath() != null) {
        throw new IllegalArgumentException("the pod template's volume '" + volume.getName() + "' is a hostPath volume: workspace pods"
            + " run untrusted code and may not mount the node's files");
      }
      if (volume.getProjected() != null && volume.getProjected().getSources() != null
          && volume.getProjected().getSources().stream().anyMatch(source -> source.getServiceAccountToken() != null)) {
        throw new IllegalArgumentException("the pod template's volume '" + volume.getName() + "' projects a service account token:"
            + " workspace pods run untrusted code and may not hold credentials for the API server");
      }
    }
  }

  /**
   * A merged pod with every field that could loosen the lock-down set back to ours: no host
   * network, PID or IPC namespace, no shared process namespace, no service account or its token,
   * our pod security context; and the workspace container's security context (so capabilities),
   * volume mounts and devices, and environment sources exactly ours. Sidecars a template adds are
   * the operator's and left as they are, but cannot see the workspace's processes or mounts.
   */
  static Pod lockDown(Pod pod, Pod ours) {
    PodSpec spec = pod.getSpec();
    spec.setHostNetwork(false);
    spec.setHostPID(false);
    spec.setHostIPC(false);
    spec.setShareProcessNamespace(null);
    spec.setAutomountServiceAccountToken(false);
    spec.setServiceAccountName(null);
    spec.setServiceAccount(null);
    spec.setSecurityContext(ours.getSpec().getSecurityContext());
    Container mine = ours.getSpec().getContainers().getFirst();
    for (Container container : spec.getContainers()) {
      if (container.getName().equals(mine.getName())) {
        container.setSecurityContext(mine.getSecurityContext());
        container.setVolumeMounts(mine.getVolumeMounts());
        container.setVolumeDevices(null);
        container.setEnvFrom(null);
      }
    }
    return pod;
  }

  /**
   * {@code ours} laid over {@code template}: objects merge key by key, ours winning on every field
   * we set; lists of named items (containers, volumes, env, ports) merge by name; other lists
   * (tolerations, image pull secrets) are the template's followed by ours. The merge alone keeps
   * every field of the template we do not set (host namespaces, service accounts, extra mounts,
   * added capabilities...): only {@link #checkTemplate} and {@link #lockDown} make it safe.
   */
  static Pod merge(Pod template, Pod ours) {
    JsonNode base = SERIALIZATION.convertValue(template, JsonNode.class);
    JsonNode top = SERIALIZATION.convertValue(ours, JsonNode.class);
    JsonNode merged = mergeNodes(base.deepCopy(), top);
    if (merged instanceof ObjectNode object) {
      object.remove("status");
    }
    Pod pod = SERIALIZATION.convertValue(merged, Pod.class);
    pod.getMetadata().setName(ours.getMetadata().getName());
    pod.getMetadata().setNamespace(ours.getMetadata().getNamespace());
    return pod;
  }

  private static JsonNode mergeNodes(JsonNode base, JsonNode top) {
    if (base instanceof ObjectNode baseObject && top instanceof ObjectNode topObject) {
      for (Map.Entry<String, JsonNode> field : topObject.properties()) {
        JsonNode existing = baseObject.get(field.getKey());
        baseObject.set(field.getKey(), existing == null ? field.getValue() : mergeNodes(existing, field.getValue()));
      }
      return baseObject;
    }
    if (base instanceof ArrayNode baseArray && top instanceof ArrayNode topArray) {
      ArrayNode result = baseArray.deepCopy();
      for (JsonNode item : topArray) {
        int match = -1;
        JsonNode name = item.get("name");
        for (int i = 0; name != null && i < result.size(); i++) {
          if (name.equals(result.get(i).get("name"))) {
            match = i;
          }
        }
        if (match >= 0) {
          result.set(match, mergeNodes(result.get(match), item));
        } else {
          result.add(item);
        }
      }
      return result;
    }
    return top;
  }

  // ---- pod status ----------------------------------------------------------------------------

  /** Whether the pod runs, is not being deleted, and its readiness probe ({@code /health}) passes. */
  public static boolean ready(Pod pod) {
    return pod != null && pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Why the pod will not become ready without someone's help (bad image, crash loop, failed), if it will not. */
  public static Optional<String> failure(Pod pod) {
    if (pod == null || pod.getStatus() == null) {
      return Optional.empty();
    }
    if ("Failed".equals(pod.getStatus().getPhase())) {
      return Optional.of("the pod failed" + (pod.getStatus().getReason() == null ? "" : ": " + pod.getStatus().getReason()));
    }
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    for (ContainerStatus status : statuses == null ? List.<ContainerStatus>of() : statuses) {
      var waiting = status.getState() == null ? null : status.getState().getWaiting();
      if (waiting != null && waiting.getReason() != null && switch (waiting.getReason()) {
        case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError",
             "CreateContainerError", "RunContainerError" -> true;
        default -> false;
      }) {
        return Optional.of("container " + status.getName() + ": " + waiting.getReason()
            + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")"));
      }
    }
    return Optional.empty();
  }
}
