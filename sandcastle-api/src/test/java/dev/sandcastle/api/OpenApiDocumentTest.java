package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.api.OpenApiDocument.Route;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class OpenApiDocumentTest {

  private static final Set<String> TOOL_IDS = Set.of(
      "run_command", "get_process_status", "send_process_input", "kill_process", "list_processes",
      "list_files", "read_file", "display_file", "write_file", "replace_file_content",
      "grep_search", "glob_search");
  private static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final Pattern TEMPLATE_PARAMETER = Pattern.compile("\\{([^}/]+)}");
  private static final String SESSION_REF = "#/components/parameters/SessionId";

  private final JsonNode full = JsonMapper.shared().readTree(OpenApiDocument.load().fullJson());
  private final JsonNode tools = JsonMapper.shared().readTree(OpenApiDocument.load().toolsJson());

  private record Operation(String method, String path, JsonNode node) {
    String id() {
      return node.path("operationId").asString();
    }
  }

  private static List<Operation> operations(JsonNode doc) {
    List<Operation> operations = new ArrayList<>();
    doc.path("paths").forEachEntry((path, item) -> {
      for (String method : METHODS) {
        if (item.has(method)) {
          operations.add(new Operation(method, path, item.get(method)));
        }
      }
    });
    return operations;
  }

  /** Calls back with every (key, value) pair of every object in the tree. */
  private static void walk(JsonNode node, BiConsumer<String, JsonNode> visitor) {
    if (node.isObject()) {
      node.forEachEntry((key, value) -> {
        visitor.accept(key, value);
        walk(value, visitor);
      });
    } else if (node.isArray()) {
      node.forEach(value -> walk(value, visitor));
    }
  }

  private static JsonNode deref(JsonNode doc, JsonNode node) {
    return node.has("$ref") ? doc.at(node.get("$ref").asString().substring(1)) : node;
  }

  @Test
  void isAnOpenApi31Document() {
    assertThat(full.path("openapi").asString()).matches("3\\.1\\.\\d+");
    assertThat(full.at("/info/title").asString()).isEqualTo("Sandcastle workspace");
    assertThat(full.at("/info/version").asString()).isEqualTo("0.1.0");
    assertThat(full.has("servers")).isFalse();
  }

  @Test
  void operationIdsAreUniqueSnakeCase() {
    List<String> ids = operations(full).stream().map(Operation::id).toList();
    assertThat(ids).doesNotHaveDuplicates().allMatch(id -> id.matches("[a-z][a-z0-9_]*"));
  }

  @Test
  void exactlyTheTwelveToolOperationsAreUnflagged() {
    Set<String> unflagged = operations(full).stream()
        .filter(op -> OpenApiDocument.isTool(op.node()))
        .map(Operation::id)
        .collect(Collectors.toSet());
    assertThat(unflagged).isEqualTo(TOOL_IDS);
    operations(full).stream()
        .filter(op -> op.node().has(OpenApiDocument.TOOL_FLAG))
        .forEach(op -> assertThat(op.node().get(OpenApiDocument.TOOL_FLAG).isBoolean())
            .as(op.id()).isTrue());
  }

  @Test
  void everyRefResolvesInsideTheDocument() {
    for (JsonNode doc : List.of(full, tools)) {
      List<String> refs = new ArrayList<>();
      walk(doc, (key, value) -> {
        if (key.equals("$ref")) {
          refs.add(value.asString());
        }
      });
      assertThat(refs).isNotEmpty().allSatisfy(ref -> {
        assertThat(ref).startsWith("#/");
        assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
      });
    }
  }

  @Test
  void everyOperationIsDescribedAndHasASuccessResponse() {
    assertThat(operations(full)).allSatisfy(op -> {
      assertThat(op.node().path("summary").asString()).as(op.id()).isNotBlank();
      assertThat(op.node().path("description").asString()).as(op.id()).isNotBlank();
      assertThat(op.node().path("responses").propertyNames())
          .as(op.id()).anyMatch(code -> code.matches("2(\\d\\d|XX)"));
    });
  }

  @Test
  void everyTemplateParameterIsDeclaredAsARequiredPathParameter() {
    assertThat(operations(full)).allSatisfy(op -> {
      Set<String> inTemplate = new HashSet<>();
      Matcher matcher = TEMPLATE_PARAMETER.matcher(op.path());
      while (matcher.find()) {
        inTemplate.add(matcher.group(1));
      }
      Set<String> declared = new HashSet<>();
      for (JsonNode parameter : op.node().path("parameters")) {
        JsonNode resolved = deref(full, parameter);
        if (resolved.path("in").asString().equals("path")) {
          assertThat(resolved.path("required").asBoolean(false)).as(op.id()).isTrue();
          declared.add(resolved.path("name").asString());
        }
      }
      assertThat(declared).as(op.id()).isEqualTo(inTemplate);
    });
  }

  @Test
  void errorsAreProblemDetails() {
    assertThat(full.at("/components/schemas/Problem/properties").propertyNames())
        .containsExactlyInAnyOrder("type", "title", "status", "detail", "instance");
    assertThat(operations(full)).allSatisfy(op -> op.node().path("responses").forEachEntry(
        (code, response) -> {
          if (code.startsWith("4") || code.startsWith("5")) {
            assertThat(deref(full, response).at("/content/application~1problem+json/schema/$ref")
                .asString()).as(op.id() + " " + code).isEqualTo("#/components/schemas/Problem");
          }
        }));
  }

  @Test
  void bearerAuthAppliesEverywhereButHealthConfigAndTheLoginForm() {
    assertThat(full.at("/components/securitySchemes/bearerAuth/scheme").asString())
        .isEqualTo("bearer");
    assertThat(full.at("/security/0").has("bearerAuth")).isTrue();
    assertThat(operations(full)).allSatisfy(op -> {
      boolean open = op.path().equals("/health") || op.path().equals("/api/config") || op.path().equals("/login");
      JsonNode security = op.node().get("security");
      if (open) {
        assertThat(security.isArray() && security.isEmpty()).as(op.id()).isTrue();
      } else {
        assertThat(security).as(op.id()).isNull();
      }
    });
  }

  @Test
  void operationsThatUseTheCurrentDirectoryTakeTheSessionHeader() {
    assertThat(full.at(SESSION_REF.substring(1) + "/name").asString()).isEqualTo("X-Session-Id");
    assertThat(operations(full))
        .filteredOn(op -> op.path().startsWith("/execute") || op.path().startsWith("/files/"))
        .isNotEmpty()
        .allSatisfy(op -> assertThat(op.node().path("parameters").findValuesAsString("$ref"))
            .as(op.id()).contains(SESSION_REF));
  }

  @Test
  void toolsJsonHoldsOnlyToolsWithoutSecurityFlagsOrHeaders() {
    assertThat(operations(tools).stream().map(Operation::id).collect(Collectors.toSet()))
        .isEqualTo(TOOL_IDS);
    assertThat(tools.at("/components/securitySchemes").isMissingNode()).isTrue();
    walk(tools, (key, value) -> assertThat(key).isNotIn("security", OpenApiDocument.TOOL_FLAG));
    assertThat(operations(tools)).allSatisfy(op -> {
      for (JsonNode parameter : op.node().path("parameters")) {
        // Open WebUI reads name, in and schema.type of each parameter without resolving anything.
        assertThat(parameter.has("$ref")).as(op.id()).isFalse();
        assertThat(parameter.path("in").asString()).as(op.id()).isIn("path", "query");
        assertThat(parameter.at("/schema/type").isString()).as(op.id()).isTrue();
        parameter.at("/schema/enum").forEach(value -> assertThat(value.isString()).isTrue());
      }
    });
  }

  @Test
  void routesListEveryOperation() {
    // The exact set is compared with the running server's routes in RoutesDocumentedTest.
    assertThat(OpenApiDocument.load().routes()).contains(
        new Route("GET", "/health"),
        new Route("POST", "/api/terminals"),
        new Route("DELETE", "/api/terminals/{id}"),
        new Route("POST", "/execute"),
        new Route("GET", "/execute/{id}/status"),
        new Route("DELETE", "/execute/{id}"),
        new Route("GET", "/files/serve/{path}"),
        new Route("POST", "/files/upload"));
    assertThat(OpenApiDocument.load().routes()).hasSize(operations(full).size());
  }

  @Test
  void loadsOnce() {
    assertThat(OpenApiDocument.load()).isSameAs(OpenApiDocument.load());
  }
}
