package dev.sandcastle.orchestrator.backend.kubernetes;

import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.NAMESPACE;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.async;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.policy;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.result;
import static dev.sandcastle.orchestrator.backend.kubernetes.MockCluster.tenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.tenant.Tenant;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesBackendTest {
  KubernetesClient client;
  MockCluster cluster;
  KubernetesSettings settings;
  KubernetesBackend backend;

  @BeforeEach
  void setUp() {
    cluster = new MockCluster(client);
    settings = new KubernetesSettings(NAMESPACE, "sandcastle/sandbox:latest", "orch-1", "gvisor", Map.of("pool", "sandboxes"),
        List.of(new Toleration("NoSchedule", "sandbox", "Equal", null, "true")), Optional.empty(), "fast", Duration.ofSeconds(20),
        "svc", "sandcastle");
    backend = new KubernetesBackend(client, settings);
  }

  private Instance.Remote start(KubernetesBackend on, Tenant tenant, String network) throws Exception {
    Future<Instance> started = async(() -> on.start(tenant, policy(network)));
    cluster.markReady(KubernetesBackend.baseName(tenant.id()));
    return (Instance.Remote) result(started);
  }

  @Test
  void aStartedWorkspaceIsALockedDownPodWithItsOwnVolumeKeyServiceAndNetworkPolicy() throws Exception {
    Tenant tenant = tenant("alice@example.com", "default", "project one");
    Instance.Remote instance = start(backend, tenant, "none");
    String name = KubernetesBackend.baseName(tenant.id());

    PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(name + "-home").get();
    Secret secret = client.secrets().inNamespace(NAMESPACE).withName(name + "-key").get();
    Service service = client.services().inNamespace(NAMESPACE).withName(name).get();
    NetworkPolicy network = client.network().v1().networkPolicies().inNamespace(NAMESPACE).withName(name).get();
    Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
    assertThat(List.<HasMetadata>of(pvc, secret, service, network, pod)).allSatisfy(object -> {
      assertThat(object.getMetadata().getName()).hasSizeLessThan(63).matches("[a-z0-9-]+");
      assertThat(object.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sandcastle")
          .containsEntry("sandcastle.dev/tenant", tenant.id()).containsEntry("sandcastle.dev/policy", "default")
          .containsEntry("sandcastle.dev/orchestrator", "orch-1");
      assertThat(object.getMetadata().getLabels().get("sandcastle.dev/user")).matches("[0-9a-f]{32}"); // a hash, not the address
      assertThat(object.getMetadata().getLabels().get("sandcastle.dev/context")).matches("[0-9a-f]{32}");
      assertThat(object.getMetadata().getLabels().values()).allSatisfy(value -> assertThat(WorkspaceObjects.validLabelValue(value)).isTrue());
    });

    // Everything but the volume is owned by the volume, which outlives the pod.
    assertThat(pvc.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(List.<HasMetadata>of(secret, service, network, pod)).allSatisfy(object ->
        assertThat(object.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
          assertThat(owner.getKind()).isEqualTo("PersistentVolumeClaim");
          assertThat(owner.getName()).isEqualTo(pvc.getMetadata().getName());
          assertThat(owner.getUid()).isEqualTo(pvc.getMetadata().getUid());
        }));
    assertThat(pvc.getSpec().getResources().getRequests().get("storage").getNumericalAmount().longValue()).isEqualTo(2L << 30);
    assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("fast");

    // The pod: non-root, no privileges, read-only root, limits from the policy, ready on /health.
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
    assertThat(pod.getSpec().getNodeSelector()).containsEntry("pool", "sandboxes");
    assertThat(pod.getSpec().getTolerations()).extracting(Toleration::getKey).containsExactly("sandbox");
    Container container = pod.getSpec().getContainers().getFirst();
    assertThat(container.getImage()).isEqualTo("sandcastle/sandbox:latest");
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getResources().getLimits().get("cpu").toString()).isEqualTo("1500m");
    assertThat(container.getResources().getLimits().get("memory").getNumericalAmount().longValue()).isEqualTo(512L << 20);
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactlyInAnyOrder("/home/user", "/tmp");
    assertThat(pod.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo(name + "-home"));
    // The key comes from the Secret; the policy cannot override it.
    assertThat(container.getEnv()).filteredOn(e -> e.getName().equals("SANDCASTLE_API_KEY")).singleElement()
        .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(name + "-key"));
    assertThat(container.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("LANG"));

    // No egress at all; ingress only from the orchestrator's pods in its namespace, on the API port.
    assertThat(network.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
    assertThat(network.getSpec().getEgress()).isEmpty();
    assertThat(network.getSpec().getIngress()).singleElement().satisfies(rule -> {
      assertThat(rule.getFrom().getFirst().getPodSelector().getMatchLabels()).containsEntry("sandcastle.dev/role", "orchestrator");
      assertThat(rule.getFrom().getFirst().getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "sandcastle");
    });
    assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(service.getSpec().getSelector()).containsEntry("sandcastle.dev/workspace", name);

    // The instance: the Service's cluster URL and the Secret's key, for the tenant service to store encrypted.
    assertThat(instance.base().toString()).isEqualTo("http://" + name + ".workspaces.svc:8000");
    assertThat(instance.apiKey()).hasSizeGreaterThanOrEqualTo(43).isEqualTo(WorkspaceObjects.apiKey(secret).orElseThrow());
    assertThat(backend.running()).containsExactly(tenant.id());
  }

  @Test
  void aPolicyWithNetworkAllowsEgressAndLabelsStayValidForAnyUserIdAndPolicyId() throws Exception {
    String longPolicy = "." + "p".repeat(63); // a valid policy id but not a valid label value
    Tenant tenant = tenant("Ünïcode user / with spaces and " + "x".repeat(200), longPolicy, "ctx");
    Future<Instance> started = async(() -> backend.start(tenant, new dev.sandcastle.orchestrator.policy.Policy(longPolicy, "",
        Map.of(), 1, 1L << 30, 1L << 30, 100, Duration.ofMinutes(5), "host", "", "UTC")));
    cluster.markReady(KubernetesBackend.baseName(tenant.id()));
    result(started);

    NetworkPolicy network = client.network().v1().networkPolicies().inNamespace(NAMESPACE)
        .withName(KubernetesBackend.baseName(tenant.id())).get();
    // Out to public addresses on any port, never to cloud metadata or internal networks; DNS only to the cluster's DNS pods.
    assertThat(network.getSpec().getEgress()).hasSize(2);
    var anywhere = network.getSpec().getEgress().get(0);
    assertThat(anywhere.getPorts()).isEmpty();
    assertThat(anywhere.getTo()).extracting(peer -> peer.getIpBlock().getCidr()).containsExactly("0.0.0.0/0", "::/0");
    assertThat(anywhere.getTo()).allSatisfy(peer -> {
      assertThat(peer.getPodSelector()).isNull();
      assertThat(peer.getNamespaceSelector()).isNull();
    });
    assertThat(anywhere.getTo().get(0).getIpBlock().getExcept())
        .containsExactlyInAnyOrder("169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10");
    assertThat(anywhere.getTo().get(1).getIpBlock().getExcept()).containsExactlyInAnyOrder("fc00::/7", "fe80::/10");
    var dns = network.getSpec().getEgress().get(1);
    assertThat(dns.getTo()).singleElement().satisfies(peer -> {
      assertThat(peer.getIpBlock()).isNull();
      assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", "kube-system"));
      assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(Map.entry("k8s-app", "kube-dns"));
    });
    assertThat(dns.getPorts()).extracting(port -> port.getProtocol() + "/" + port.getPort().getIntVal())
        .containsExactlyInAnyOrder("UDP/53", "TCP/53");
    Pod pod = client.pods().inNamespace(NAMESPACE).withName(KubernetesBackend.baseName(tenant.id())).get();
    assertThat(pod.getMetadata().getLabels().values()).allSatisfy(value -> assertThat(WorkspaceObjects.validLabelValue(value)).isTrue());
    assertThat(pod.getMetadata().getLabels().get("sandcastle.dev/policy")).matches("[0-9a-f]{32}");
  }

  @Test
  void aPodThatNeverBecomesReadyFailsTheStartWith503() {
    KubernetesBackend impatient = new KubernetesBackend(client, settings.withReadyTimeout(Duration.ofMillis(500)));
    Tenant tenant = tenant("bob", "default", "default");
    assertThatThrownBy(() -> impatient.start(tenant, policy("none")))
        .isInstanceOf(Unavailable.class).hasMessageContaining("not ready within");
    assertThat(impatient.running()).isEmpty();
  }

  @Test
  void aPodThatCannotPullItsImageFailsTheStartAtOnceWithTheReason() {
    Tenant tenant = tenant("carol", "default", "default");
    Future<Instance> started = async(() -> backend.start(tenant, policy("none")));
    cluster.markImagePullFailure(KubernetesBackend.baseName(tenant.id()));
    assertThatThrownBy(() -> result(started)).isInstanceOf(Unavailable.class).hasMessageContaining("ImagePullBackOff");
  }

  @Test
  void stoppingDeletesThePodAndKeepsTheVolumeAndKeyForTheNextStart() throws Exception {
    Tenant tenant = tenant("dave", "default", "default");
    Instance.Remote first = start(backend, tenant, "none");
    String name = KubernetesBackend.baseName(tenant.id());

    backend.stop(tenant);
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get()).isNull();
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(name + "-home").get()).isNotNull();
    assertThat(backend.running()).isEmpty();
    backend.stop(tenant); // idempotent

    Instance.Remote second = start(backend, tenant, "none");
    assertThat(second.apiKey()).isEqualTo(first.apiKey());
    assertThat(second.base()).isEqualTo(first.base());
  }

  @Test
  void startingAgainWithAChangedPolicyReplacesThePod() throws Exception {
    Tenant tenant = tenant("erin", "default", "default");
    start(backend, tenant, "none");
    String name = KubernetesBackend.baseName(tenant.id());
    String before = client.pods().inNamespace(NAMESPACE).withName(name).get().getMetadata().getUid();

    // Same policy: the running pod is adopted as it is, with no wait.
    backend.start(tenant, policy("none"));
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get().getMetadata().getUid()).isEqualTo(before);

    Future<Instance> restarted = async(() -> backend.start(tenant, new dev.sandcastle.orchestrator.policy.Policy("default", "", Map.of(),
        0.5, 256L << 20, 2L << 30, 256, Duration.ofMinutes(30), "none", "", "UTC")));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
      return pod != null && !pod.getMetadata().getUid().equals(before);
    });
    cluster.markReady(name);
    result(restarted);
    Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
    assertThat(pod.getSpec().getContainers().getFirst().getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
  }

  @Test
  void aPolicysRuntimeClassIsItsPodsAndChangingItReplacesThePod() throws Exception {
    Tenant tenant = tenant("grace", "sandboxed", "default");
    String name = KubernetesBackend.baseName(tenant.id());
    dev.sandcastle.orchestrator.policy.Policy kata = new dev.sandcastle.orchestrator.policy.Policy("sandboxed", "", "kata",
        Map.of(), 1.5, 512L << 20, 2L << 30, 256, Duration.ofMinutes(30), "none", "", "UTC");
    Future<Instance> started = async(() -> backend.start(tenant, kata));
    cluster.markReady(name);
    result(started);
    Pod first = client.pods().inNamespace(NAMESPACE).withName(name).get();
    assertThat(first.getSpec().getRuntimeClassName()).isEqualTo("kata"); // the policy's, not the settings' gvisor

    // The same policy without a runtime of its own: the settings' class, in a new pod.
    dev.sandcastle.orchestrator.policy.Policy plain = new dev.sandcastle.orchestrator.policy.Policy("sandboxed", "", "",
        Map.of(), 1.5, 512L << 20, 2L << 30, 256, Duration.ofMinutes(30), "none", "", "UTC");
    Future<Instance> restarted = async(() -> backend.start(tenant, plain));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      Pod pod = client.pods().inNamespace(NAMESPACE).withName(name).get();
      return pod != null && !pod.getMetadata().getUid().equals(first.getMetadata().getUid());
    });
    cluster.markReady(name);
    result(restarted);
    assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get().getSpec().getRuntimeClassName()).isEqualTo("gvisor");
  }

  @Test
  void resetWipesTheVolumeWithAShortLivedPodAndWaitsForItToSucceed() throws Exception {
    Tenant tenant = tenant("frank", "default", "default");
    start(backend, tenant, "none");
    backend.stop(tenant);
    String name = KubernetesBackend.baseName(tenant.id());

    Future<Object> reset = async(() -> {
      backend.reset(tenant);
      return null;
    });
    Pod wipe = cluster.awaitPod(name + "-wipe");
    assertThat(reset.isDone()).isFalse(); // it waits for the wipe to finish
    assertThat(wipe.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(wipe.getSpec().getContainers().getFirst().getCommand()).containsExactly("find", "/home/user", "-mindepth", "1", "-delete");
    assertThat(wipe.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo(name + "-home"));
    assertThat(wipe.getSpec().getContainers().getFirst().getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(wipe.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("PersistentVolumeClaim"));
    cluster.markPhase(name + "-wipe", "Succeeded");
    result(reset);

    assertThat(client.pods().inNamespace(NAMESPACE).withName(name + "-wipe").get()).isNull();
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(name + "-home").get()).isNotNull();
  }

  @Test
  void aFailedWipeFailsTheReset() throws Exception {
    Tenant tenant = tenant("grace", "default", "default");
    start(backend, tenant, "none");
    backend.stop(tenant);
    String name = KubernetesBackend.baseName(tenant.id());
    Future<Object> reset = async(() -> {
      backend.reset(tenant);
      return null;
    });
    cluster.markPhase(name + "-wipe", "Failed");
    assertThatThrownBy(() -> result(reset)).isInstanceOf(Unavailable.class).hasMessageContaining("wiping the workspace failed");
  }

  @Test
  void destroyRemovesEveryObjectOfTheTenantAndNoOtherTenants() throws Exception {
    Tenant gone = tenant("heidi", "default", "default");
    Tenant staying = tenant("ivan", "default", "default");
    start(backend, gone, "none");
    start(backend, staying, "none");

    backend.destroy(gone);
    assertThat(objectsOf(gone.id())).isEmpty();
    assertThat(objectsOf(staying.id())).hasSize(5);
    backend.destroy(gone); // idempotent
  }

  @Test
  void aRestartedOrchestratorAdoptsReadyWorkspacesAndReapsWhatNoKnownTenantOwns() throws Exception {
    Tenant kept = tenant("judy", "default", "default");
    Tenant forgotten = tenant("mallory", "default", "default");
    Tenant notReady = tenant("oscar", "default", "default");
    Instance.Remote keptInstance = start(backend, kept, "none");
    start(backend, forgotten, "none");
    start(backend, notReady, "none");
    String notReadyName = KubernetesBackend.baseName(notReady.id());
    Pod pod = client.pods().inNamespace(NAMESPACE).withName(notReadyName).get();
    client.pods().inNamespace(NAMESPACE).resource(new PodBuilder(pod).editStatus().withConditions().endStatus().build()).updateStatus();
    // Another orchestrator's workspace in the same namespace.
    KubernetesBackend other = new KubernetesBackend(client, new KubernetesSettings(NAMESPACE, "img", "orch-2", "", Map.of(), List.of(),
        Optional.empty(), "", Duration.ofSeconds(20), "svc", ""));
    Tenant theirs = tenant("peggy", "default", "default");
    start(other, theirs, "none");

    KubernetesBackend restarted = new KubernetesBackend(client, settings);
    Map<String, Instance> adopted = restarted.reconcile(Map.of(kept.id(), kept, notReady.id(), notReady));

    assertThat(adopted).containsOnlyKeys(kept.id());
    Instance.Remote again = (Instance.Remote) adopted.get(kept.id());
    assertThat(again.apiKey()).isEqualTo(keptInstance.apiKey());
    assertThat(again.base()).isEqualTo(keptInstance.base());
    assertThat(restarted.running()).containsExactly(kept.id());
    assertThat(objectsOf(forgotten.id())).isEmpty();
    assertThat(client.pods().inNamespace(NAMESPACE).withName(notReadyName).get()).isNull(); // stopped; its volume stays
    assertThat(client.persistentVolumeClaims().inNamespace(NAMESPACE).withName(notReadyName + "-home").get()).isNotNull();
    assertThat(objectsOf(theirs.id())).hasSize(5); // not ours to reap
  }

  @Test
  void aPodTemplateAddsToThePodButCannotLoosenItsLockDown() throws Exception {
    Pod template = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {team: data, sandcastle.dev/tenant: someone-else}
          annotations: {example.com/cost-centre: "42"}
        spec:
          priorityClassName: sandboxes
          imagePullSecrets: [{name: registry}]
          tolerations: [{key: gpu, operator: Exists}]
          hostNetwork: true
          hostPID: true
          hostIPC: true
          shareProcessNamespace: true
          serviceAccountName: cluster-admin-sa
          automountServiceAccountToken: true
          securityContext: {runAsUser: 0, runAsNonRoot: false, supplementalGroups: [0]}
          volumes:
            - {name: docker, emptyDir: {}}
          containers:
            - name: workspace
              securityContext:
                privileged: true
                runAsUser: 0
                allowPrivilegeEscalation: true
                readOnlyRootFilesystem: false
                capabilities: {add: [SYS_ADMIN, NET_ADMIN]}
              env: [{name: EXTRA, value: "1"}]
              envFrom: [{secretRef: {name: cloud-credentials}}]
              volumeMounts: [{name: docker, mountPath: /var/run}]
            - name: log-shipper
              image: example/shipper:1
        """, Pod.class);
    KubernetesBackend templated = new KubernetesBackend(client, new KubernetesSettings(NAMESPACE, "img", "orch-1", "", Map.of(),
        List.of(new Toleration("NoSchedule", "sandbox", "Exists", null, null)), Optional.of(template), "", Duration.ofSeconds(20), "svc", ""));
    Tenant tenant = tenant("trent", "default", "default");
    start(templated, tenant, "none");

    Pod pod = client.pods().inNamespace(NAMESPACE).withName(KubernetesBackend.baseName(tenant.id())).get();
    assertThat(pod.getMetadata().getLabels()).containsEntry("team", "data").containsEntry("sandcastle.dev/tenant", tenant.id());
    assertThat(pod.getMetadata().getAnnotations()).containsKey("example.com/cost-centre");
    assertThat(pod.getSpec().getPriorityClassName()).isEqualTo("sandboxes");
    assertThat(pod.getSpec().getImagePullSecrets()).extracting(s -> s.getName()).containsExactly("registry");
    assertThat(pod.getSpec().getTolerations()).extracting(Toleration::getKey).containsExactly("gpu", "sandbox");
    assertThat(pod.getSpec().getContainers()).extracting(Container::getName).containsExactly("workspace", "log-shipper");
    Container workspace = pod.getSpec().getContainers().getFirst();
    assertThat(workspace.getSecurityContext().getPrivileged()).isFalse();
    assertThat(workspace.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(workspace.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(workspace.getImage()).isEqualTo("img");
    assertThat(workspace.getEnv()).extracting(e -> e.getName()).contains("EXTRA", "SANDCASTLE_API_KEY");
    // Fields we never set ourselves are forced back too: no host namespaces, no credentials, only our mounts and capabilities.
    assertThat(pod.getSpec().getHostNetwork()).isFalse();
    assertThat(pod.getSpec().getHostPID()).isFalse();
    assertThat(pod.getSpec().getHostIPC()).isFalse();
    assertThat(pod.getSpec().getShareProcessNamespace()).isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getSpec().getServiceAccountName()).isIn(null, "default");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSupplementalGroups()).isNullOrEmpty();
    assertThat(workspace.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(workspace.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(workspace.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(workspace.getEnvFrom()).isNullOrEmpty();
    assertThat(workspace.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactlyInAnyOrder("/home/user", "/tmp");
  }

  @Test
  void aPodTemplateWithHostPathVolumesOrServiceAccountTokensIsRefusedAtStartUp() {
    Pod hostPath = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        spec:
          volumes: [{name: node, hostPath: {path: /}}]
          containers: [{name: workspace, volumeMounts: [{name: node, mountPath: /node}]}]
        """, Pod.class);
    Pod token = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        spec:
          volumes:
            - name: creds
              projected: {sources: [{configMap: {name: ca}}, {serviceAccountToken: {path: token, audience: api}}]}
          containers: [{name: log-shipper, image: example/shipper:1}]
        """, Pod.class);
    assertThatThrownBy(() -> new KubernetesSettings(NAMESPACE, "img", "orch-1", "", Map.of(), List.of(), Optional.of(hostPath), "",
        Duration.ofSeconds(20), "svc", "")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'node'")
        .hasMessageContaining("hostPath");
    assertThatThrownBy(() -> new KubernetesSettings(NAMESPACE, "img", "orch-1", "", Map.of(), List.of(), Optional.of(token), "",
        Duration.ofSeconds(20), "svc", "")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'creds'")
        .hasMessageContaining("service account token");
  }

  private List<HasMetadata> objectsOf(String tenantId) {
    Map<String, String> selector = Map.of("sandcastle.dev/tenant", tenantId);
    List<HasMetadata> all = new java.util.ArrayList<>();
    all.addAll(client.pods().inNamespace(NAMESPACE).withLabels(selector).list().getItems());
    all.addAll(client.services().inNamespace(NAMESPACE).withLabels(selector).list().getItems());
    all.addAll(client.secrets().inNamespace(NAMESPACE).withLabels(selector).list().getItems());
    all.addAll(client.network().v1().networkPolicies().inNamespace(NAMESPACE).withLabels(selector).list().getItems());
    all.addAll(client.persistentVolumeClaims().inNamespace(NAMESPACE).withLabels(selector).list().getItems());
    return all;
  }
}
