package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The deployment files stay valid: every manifest parses into known Kubernetes kinds, they agree
 * with the code (labels, setting names, rights), and the Helm chart renders the same objects.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final YAMLMapper YAML = new YAMLMapper();
  private final KubernetesSerialization serialization = new KubernetesSerialization();

  private static List<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  private List<HasMetadata> objects(String text) {
    List<HasMetadata> objects = new ArrayList<>();
    for (JsonNode document : documents(text)) {
      objects.add(serialization.unmarshal(document.toString(), HasMetadata.class));
    }
    return objects;
  }

  private static List<JsonNode> documents(String text) {
    List<JsonNode> documents = new ArrayList<>();
    for (String part : text.split("(?m)^---\\s*$")) {
      JsonNode node = YAML.readTree(part);
      if (node != null && !node.isMissingNode() && !node.isNull()) {
        documents.add(node);
      }
    }
    return documents;
  }

  private List<HasMetadata> all() throws IOException {
    List<HasMetadata> all = new ArrayList<>();
    for (Path file : manifests()) {
      all.addAll(objects(Files.readString(file)));
    }
    return all;
  }

  @Test
  void everyManifestParsesIntoKnownKindsWithNoStrayFields() throws IOException {
    List<HasMetadata> all = all();
    assertThat(all).extracting(HasMetadata::getKind).contains("Namespace", "ServiceAccount", "Role", "RoleBinding", "Deployment",
        "Service", "PersistentVolumeClaim", "CustomResourceDefinition");
    assertThat(all).allSatisfy(object -> {
      assertThat(object).isNotInstanceOf(GenericKubernetesResource.class); // a misspelt kind or apiVersion
      assertThat(object.getMetadata().getName()).isNotBlank();
      assertThat(object.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "sandcastle");
    });
    for (Deployment deployment : only(all, Deployment.class)) {
      assertThat(deployment.getAdditionalProperties()).isEmpty();
      assertThat(deployment.getSpec().getAdditionalProperties()).isEmpty();
      assertThat(deployment.getSpec().getTemplate().getSpec().getAdditionalProperties()).isEmpty();
      deployment.getSpec().getTemplate().getSpec().getContainers().forEach(c -> {
        assertThat(c.getAdditionalProperties()).isEmpty();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      });
      assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(deployment.getSpec().getSelector().getMatchLabels())
          .allSatisfy((k, v) -> assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(k, v));
    }
  }

  @Test
  void theManifestsAgreeWithTheCode() throws IOException {
    List<HasMetadata> all = all();
    Deployment orchestrator = named(only(all, Deployment.class), "sandcastle-orchestrator");
    Deployment operator = named(only(all, Deployment.class), "sandcastle-operator");
    // Workspace pods accept connections only from pods with this label, in the orchestrator's namespace.
    assertThat(orchestrator.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(WorkspaceObjects.ROLE, "orchestrator");
    assertThat(orchestrator.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand()).containsExactly("sandcastle", "serve");
    assertThat(operator.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand()).containsExactly("sandcastle", "operator");
    // Every variable the manifests set is one the server reads.
    List<String> known = Stream.of(Setting.values()).flatMap(s -> s.env.stream()).toList();
    for (Deployment deployment : List.of(orchestrator, operator)) {
      deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv()
          .forEach(env -> assertThat(known).as("setting variable").contains(env.getName()));
    }
    // The workspace namespace enforces the restricted Pod Security Standard.
    assertThat(named(only(all, Namespace.class), "sandcastle-workspaces").getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    // Least privilege: the orchestrator (operator backend) cannot touch pods; the operator cannot read other kinds of objects.
    Role orchestratorRole = only(objects(Files.readString(DEPLOY.resolve("kubernetes/rbac.yaml"))), Role.class).stream()
        .filter(r -> r.getMetadata().getName().equals("sandcastle-orchestrator")).findFirst().orElseThrow();
    assertThat(orchestratorRole.getRules()).flatExtracting(r -> r.getResources()).containsExactlyInAnyOrder("terminals", "secrets");
    assertThat(orchestratorRole.getRules()).filteredOn(r -> r.getResources().contains("secrets")).singleElement()
        .satisfies(r -> assertThat(r.getVerbs()).containsExactly("get"));
    Role operatorRole = named(only(all, Role.class), "sandcastle-operator");
    assertThat(operatorRole.getRules()).flatExtracting(r -> r.getResources()).containsExactlyInAnyOrder("terminals", "terminals/status",
        "pods", "persistentvolumeclaims", "secrets", "services", "networkpolicies");
    assertThat(all).allSatisfy(object -> assertThat(object.getKind()).isNotIn("ClusterRole", "ClusterRoleBinding"));
  }

  @Test
  void theHelmChartRendersTheSameObjectsAsTheManifests() throws IOException {
    Path chart = DEPLOY.resolve("helm/sandcastle");
    assertThat(chart.resolve("crds/crd-terminal.yaml")).hasSameTextualContentAs(DEPLOY.resolve("kubernetes/crd-terminal.yaml"));
    JsonNode chartYaml = YAML.readTree(Files.readString(chart.resolve("Chart.yaml")));
    assertThat(chartYaml.get("apiVersion").asString()).isEqualTo("v2");
    assertThat(chartYaml.get("name").asString()).isEqualTo("sandcastle");
    Map<String, String> values = new java.util.HashMap<>();
    YAML.readTree(Files.readString(chart.resolve("values.yaml"))).properties().forEach(e -> values.put(e.getKey(), e.getValue().asString()));

    for (String file : List.of("namespace.yaml", "rbac.yaml", "orchestrator.yaml", "operator.yaml")) {
      String rendered = render(Files.readString(chart.resolve("templates").resolve(file)), values);
      assertThat(documents(rendered)).as(file).isEqualTo(documents(Files.readString(DEPLOY.resolve("kubernetes").resolve(file))));
    }
  }

  /** Helm's rendering for the subset the chart uses: {@code {{ .Values.name }}} and nothing else. */
  private static String render(String template, Map<String, String> values) {
    Matcher matcher = Pattern.compile("\\{\\{\\s*\\.Values\\.([A-Za-z]+)\\s*}}").matcher(template);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      assertThat(value).as("value " + matcher.group(1)).isNotNull();
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    assertThat(out.toString()).as("template constructs beyond .Values").doesNotContain("{{");
    return out.toString();
  }

  private static <T> List<T> only(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T named(List<T> objects, String name) {
    return objects.stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
  }
}
