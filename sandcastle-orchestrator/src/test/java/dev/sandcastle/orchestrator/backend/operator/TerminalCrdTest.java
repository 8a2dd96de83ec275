package dev.sandcastle.orchestrator.backend.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.orchestrator.backend.kubernetes.MockCluster;
import dev.sandcastle.orchestrator.policy.Policy;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRD's schema holds every field the code writes: a field the schema lacks is pruned by the
 * API server without a word (upstream's operator lost fields that way).
 */
class TerminalCrdTest {
  private final CustomResourceDefinition crd = MockCluster.terminalCrd();

  @Test
  void theCrdNamesTheTerminalKindTheCodeUses() {
    assertThat(crd.getMetadata().getName()).isEqualTo(Terminal.PLURAL + "." + Terminal.GROUP);
    assertThat(crd.getSpec().getGroup()).isEqualTo(Terminal.GROUP);
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo(Terminal.KIND);
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("term");
    assertThat(crd.getSpec().getVersions()).singleElement().satisfies(v -> {
      assertThat(v.getName()).isEqualTo(Terminal.VERSION);
      assertThat(v.getSubresources().getStatus()).isNotNull(); // status is written through /status
    });
  }

  @Test
  void everyFieldTheOrchestratorAndTheOperatorWriteIsInTheSchemaWithItsType() {
    Policy policy = new Policy("gpu", "example/image:1", "gvisor", Map.of("LANG", "C"), 2, 1L << 30, 5L << 30, 100, Duration.ofMinutes(10),
        "host", "", "UTC");
    Terminal.Spec spec = OperatorBackend.spec(policy).withSuspend(true).withResetToken("token");
    Terminal.Status status = new Terminal.Status("Running", "http://ws.ns.svc:8000", "ws-key", Instant.now().toString(), "token", 3L,
        "ready", List.of(new Terminal.Condition("Ready", "True", "PodReady", "", Instant.now().toString())));
    var written = Map.of("apiVersion", Terminal.API_VERSION, "kind", Terminal.KIND, "metadata", Map.of(),
        "spec", Terminal.tree(spec), "status", Terminal.tree(status));

    JSONSchemaProps schema = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema();
    List<String> problems = new ArrayList<>();
    walk("", written, schema, problems);
    assertThat(problems).isEmpty();
    // And the walk did see the nested fields (a schema-less walk would pass vacuously).
    assertThat(Terminal.tree(spec).toString()).contains("cpu", "memory", "storage", "LANG", "suspend", "resetToken", "runtimeClassName=gvisor");
  }

  @Test
  void theWalkCatchesAFieldTheSchemaLacks() {
    JSONSchemaProps schema = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema();
    List<String> problems = new ArrayList<>();
    walk("", Map.of("spec", Map.of("colour", "blue"), "status", Map.of("phase", "Sleeping")), schema, problems);
    assertThat(problems).containsExactlyInAnyOrder(".spec.colour: not in the schema", ".status.phase: 'Sleeping' is not one of [Pending, Provisioning, Running, Idle, Error]");
  }

  private static void walk(String path, Object value, JSONSchemaProps schema, List<String> problems) {
    String type = schema.getType();
    switch (value) {
      case Map<?, ?> map -> {
        if (!"object".equals(type)) {
          problems.add(path + ": an object where the schema says " + type);
          return;
        }
        if (path.equals(".metadata")) {
          return;
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          String child = path + "." + entry.getKey();
          JSONSchemaProps field = schema.getProperties() == null ? null : schema.getProperties().get((String) entry.getKey());
          if (field == null && schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
            field = schema.getAdditionalProperties().getSchema();
          }
          if (field == null) {
            problems.add(child + ": not in the schema");
          } else {
            walk(child, entry.getValue(), field, problems);
          }
        }
      }
      case List<?> list -> {
        if (!"array".equals(type)) {
          problems.add(path + ": a list where the schema says " + type);
          return;
        }
        for (int i = 0; i < list.size(); i++) {
          walk(path + "[" + i + "]", list.get(i), schema.getItems().getSchema(), problems);
        }
      }
      case String text -> {
        if (!"string".equals(type)) {
          problems.add(path + ": a string where the schema says " + type);
        } else if (schema.getEnum() != null && !schema.getEnum().isEmpty()
            && schema.getEnum().stream().noneMatch(e -> e.asText().equals(text))) {
          problems.add(path + ": '" + text + "' is not one of " + schema.getEnum().stream().map(e -> e.asText()).toList());
        }
      }
      case Boolean ignored -> {
        if (!"boolean".equals(type)) {
          problems.add(path + ": a boolean where the schema says " + type);
        }
      }
      case Number ignored -> {
        if (!"integer".equals(type) && !"number".equals(type)) {
          problems.add(path + ": a number where the schema says " + type);
        }
      }
      default -> problems.add(path + ": unexpected " + value.getClass().getSimpleName());
    }
  }
}
