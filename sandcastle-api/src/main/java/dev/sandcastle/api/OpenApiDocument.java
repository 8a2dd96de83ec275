package dev.sandcastle.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.BooleanNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI 3.1 document of the workspace API, read once from the resource {@code openapi.json}
 * beside this class.
 *
 * <p>The full document describes every route. Open WebUI turns each operation of a served
 * {@code /openapi.json} into a model tool named by its operationId, so that endpoint must serve
 * {@link #toolsJson()}: only the operations not marked {@code "x-sandcastle-tool": false}.
 */
public final class OpenApiDocument {

  /** Extension that marks an operation as not offered to language models (value {@code false}). */
  public static final String TOOL_FLAG = "x-sandcastle-tool";

  /** An operation: its HTTP method in upper case and its OpenAPI path template. */
  public record Route(String method, String path) {}

  private static final String RESOURCE = "openapi.json";
  private static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  private final String fullJson;
  private final String toolsJson;
  private final Set<Route> routes;

  private OpenApiDocument(String fullJson) {
    JsonMapper mapper = JsonMapper.shared();
    ObjectNode full = (ObjectNode) mapper.readTree(fullJson);
    this.fullJson = fullJson;
    this.toolsJson = mapper.writeValueAsString(toolsOnly(full));
    this.routes = routesOf(full);
  }

  /** The document, parsed and prepared on first use. */
  public static OpenApiDocument load() {
    return Holder.INSTANCE;
  }

  /** The whole document as stored, every route included. */
  public String fullJson() {
    return fullJson;
  }

  /**
   * The document for Open WebUI's tool discovery: only tool operations, without the tool flag,
   * without security schemes or requirements (the orchestrator serves it with "no security
   * schemes"), and with header parameters left out and parameter {@code $ref}s inlined — headers
   * are set by the client, not by the model, and Open WebUI reads each parameter's name directly.
   */
  public String toolsJson() {
    return toolsJson;
  }

  /**
   * This document with the tags and paths of another added (the orchestrator's admin API). Its
   * operations belong in the full document only, so they must be marked as no tools.
   */
  public OpenApiDocument with(String extraJson) {
    JsonMapper mapper = JsonMapper.shared();
    ObjectNode full = (ObjectNode) mapper.readTree(fullJson);
    JsonNode extra = mapper.readTree(extraJson);
    extra.path("paths").forEachEntry((path, item) -> {
      item.forEachEntry((method, operation) -> {
        if (isTool(operation)) {
          throw new IllegalArgumentException("an added operation must be marked " + TOOL_FLAG + ": false: " + method + " " + path);
        }
      });
      ((ObjectNode) full.get("paths")).set(path, item);
    });
    if (full.get("tags") instanceof ArrayNode tags) {
      extra.path("tags").forEach(tags::add);
    }
    return new OpenApiDocument(mapper.writeValueAsString(full));
  }

  /**
   * This document with one more operation offered to models: {@code get_info}, which the stored
   * document holds back until the operator has given some information.
   */
  public OpenApiDocument offering(String operationId) {
    JsonMapper mapper = JsonMapper.shared();
    ObjectNode full = (ObjectNode) mapper.readTree(fullJson);
    full.path("paths").forEach(item -> item.forEach(operation -> {
      if (operation instanceof ObjectNode op && operationId.equals(op.path("operationId").asString(""))) {
        op.remove(TOOL_FLAG);
      }
    }));
    return new OpenApiDocument(mapper.writeValueAsString(full));
  }

  /** Method and path template of every operation of the full document. */
  public Set<Route> routes() {
    return routes;
  }

  /** True unless the operation is marked {@code "x-sandcastle-tool": false}. */
  static boolean isTool(JsonNode operation) {
    return !BooleanNode.FALSE.equals(operation.get(TOOL_FLAG));
  }

  private static Set<Route> routesOf(ObjectNode doc) {
    Set<Route> routes = new LinkedHashSet<>();
    doc.path("paths").forEachEntry((path, item) -> {
      for (String method : METHODS) {
        if (item.has(method)) {
          routes.add(new Route(method.toUpperCase(Locale.ROOT), path));
        }
      }
    });
    return Collections.unmodifiableSet(routes);
  }

  private static ObjectNode toolsOnly(ObjectNode full) {
    ObjectNode doc = full.deepCopy();
    doc.remove("security");
    if (doc.get("components") instanceof ObjectNode components) {
      components.remove("securitySchemes");
    }
    ObjectNode paths = (ObjectNode) doc.get("paths");
    for (String path : new ArrayList<>(paths.propertyNames())) {
      ObjectNode item = (ObjectNode) paths.get(path);
      for (String method : METHODS) {
        if (!(item.get(method) instanceof ObjectNode operation)) {
          continue;
        }
        if (!isTool(operation)) {
          item.remove(method);
          continue;
        }
        operation.remove(TOOL_FLAG);
        operation.remove("security");
        keepModelParameters(operation, full);
      }
      if (METHODS.stream().noneMatch(item::has)) {
        paths.remove(path);
      }
    }
    return doc;
  }

  /** Inlines parameter {@code $ref}s and drops header parameters. */
  private static void keepModelParameters(ObjectNode operation, JsonNode doc) {
    if (!(operation.get("parameters") instanceof ArrayNode parameters)) {
      return;
    }
    ArrayNode kept = operation.arrayNode();
    for (JsonNode parameter : parameters) {
      JsonNode resolved = parameter.has("$ref") ? resolve(doc, parameter.get("$ref")) : parameter;
      if (!"header".equals(resolved.path("in").asString())) {
        kept.add(resolved.deepCopy());
      }
    }
    if (kept.isEmpty()) {
      operation.remove("parameters");
    } else {
      operation.set("parameters", kept);
    }
  }

  private static JsonNode resolve(JsonNode doc, JsonNode ref) {
    String pointer = ref.asString();
    JsonNode target = pointer.startsWith("#/") ? doc.at(pointer.substring(1)) : null;
    if (target == null || target.isMissingNode()) {
      throw new IllegalStateException("unresolved $ref in " + RESOURCE + ": " + pointer);
    }
    return target;
  }

  private static OpenApiDocument read() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource missing: " + RESOURCE);
      }
      return new OpenApiDocument(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  private static final class Holder {
    static final OpenApiDocument INSTANCE = read();
  }
}
