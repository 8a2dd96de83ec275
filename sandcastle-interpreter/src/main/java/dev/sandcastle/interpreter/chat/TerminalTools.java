package dev.sandcastle.interpreter.chat;

import dev.sandcastle.interpreter.chat.ToolOperation.InvalidArguments;
import dev.sandcastle.interpreter.chat.ToolOperation.Location;
import dev.sandcastle.interpreter.chat.ToolOperation.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Open Terminal tools: the operations of the workspace API's tool document ({@code
 * /openapi.json}, {@code OpenApiDocument.toolsJson()}) offered to a model as OpenAI function tools,
 * each named by its operationId, as Open WebUI does with a terminal server.
 *
 * <p>A tool's parameters are the operation's path and query parameters and the top-level
 * properties of its JSON request body, merged into one object schema ({@code $ref}s inlined).
 * Header parameters are left out (the {@link ToolTransport} sets headers). Operations that cannot
 * be called with JSON arguments (a multipart upload, a body that is not a JSON object, a name used
 * twice, a path placeholder without its parameter, a recursive schema) are left out.
 *
 * <p>{@link #call} validates a model's arguments, sends the request through a transport and
 * returns the text to give back to the model. It never throws for what the model did wrong or the
 * workspace answered: those become a JSON object {@code {"error": "..."}}. Instances are immutable
 * and safe to share between threads.
 */
public final class TerminalTools {

  /** Tool results longer than this many characters are cut, with a note saying so. */
  public static final int MAX_RESULT_CHARS = 64 * 1024;

  private static final int MAX_ERROR_DETAIL_CHARS = 2_000;
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");
  private static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final JsonMapper JSON = JsonMapper.shared();

  private final Map<String, ToolOperation> operations;
  private final ArrayNode definitions;

  private TerminalTools(Map<String, ToolOperation> operations, ArrayNode definitions) {
    this.operations = operations;
    this.definitions = definitions;
  }

  /**
   * Reads a tools document (OpenAPI 3 JSON) once.
   *
   * @throws IllegalArgumentException if the text is not JSON or has no {@code paths} object
   */
  public static TerminalTools fromOpenApi(String toolsJson) {
    Objects.requireNonNull(toolsJson, "toolsJson");
    JsonNode doc;
    try {
      doc = JSON.readTree(toolsJson);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("the tools document is not JSON: " + e.getOriginalMessage());
    }
    if (!(doc instanceof ObjectNode) || !(doc.get("paths") instanceof ObjectNode paths)) {
      throw new IllegalArgumentException("the tools document is not an OpenAPI document: it has no paths object");
    }
    Map<String, ToolOperation> operations = new LinkedHashMap<>();
    ArrayNode definitions = JSON.createArrayNode();
    paths.forEachEntry((path, item) -> {
      for (String method : METHODS) {
        JsonNode operation = item.get(method);
        if (operation == null || !operation.isObject()) {
          continue;
        }
        String name = operation.path("operationId").asString("");
        if (!TOOL_NAME.matcher(name).matches() || operations.containsKey(name)) {
          continue;
        }
        try {
          Parsed parsed = parse(doc, path, method, item, operation, name);
          operations.put(name, parsed.operation());
          definitions.add(parsed.definition());
        } catch (Unusable e) {
          // left out: a model could not call it with JSON arguments
        }
      }
    });
    return new TerminalTools(Collections.unmodifiableMap(operations), definitions);
  }

  /**
   * The tools as OpenAI function-tool definitions, {@code {"type":"function","function":{"name",
   * "description","parameters"}}}, in document order. A fresh copy on every call: the caller may
   * change it.
   */
  public ArrayNode definitions() {
    return definitions.deepCopy();
  }

  /** Whether {@code toolName} is one of these tools. */
  public boolean handles(String toolName) {
    return operations.containsKey(toolName);
  }

  /**
   * Runs one tool call of the model.
   *
   * <p>An unknown tool, arguments that are not a JSON object or that lack a required argument
   * are answered with an error and no request. Otherwise one request goes through {@code
   * transport} (on this thread; it may block): path parameters percent-encoded into the path,
   * query parameters into the query string (array values repeat the parameter), the body
   * properties as a JSON object. Arguments the tool does not know, and null values, are ignored.
   *
   * @param argumentsJson the call's arguments as the model wrote them (a JSON object; blank means
   *     none)
   * @return a 2xx response's body (cut to {@link #MAX_RESULT_CHARS} with a note; a non-text body
   *     replaced by a note), or {@code {"error": "..."}}: for a failed request {@code "<status>:
   *     <detail of the problem+json, or the body>"}
   */
  public String call(String toolName, String argumentsJson, ToolTransport transport) {
    Objects.requireNonNull(toolName, "toolName");
    Objects.requireNonNull(argumentsJson, "argumentsJson");
    Objects.requireNonNull(transport, "transport");
    ToolOperation operation = operations.get(toolName);
    if (operation == null) {
      return error("unknown tool " + quote(toolName) + "; the terminal tools are: " + String.join(", ", operations.keySet()));
    }
    ToolOperation.Request request;
    try {
      request = operation.request(arguments(argumentsJson), JSON);
    } catch (InvalidArguments e) {
      return error(e.getMessage());
    }
    ToolTransport.Response response;
    try {
      response = transport.send(request.method(), request.pathAndQuery(), request.jsonBody());
    } catch (RuntimeException e) {
      String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
      return error("the workspace could not be reached: " + cut(reason, MAX_ERROR_DETAIL_CHARS));
    }
    return result(response);
  }

  private static ObjectNode arguments(String argumentsJson) {
    if (argumentsJson.isBlank()) {
      return JSON.createObjectNode();
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(argumentsJson);
    } catch (JacksonException e) {
      throw new InvalidArguments("the arguments are not valid JSON: " + cut(e.getOriginalMessage(), 200));
    }
    if (!(parsed instanceof ObjectNode object)) {
      throw new InvalidArguments("the arguments must be a JSON object");
    }
    ObjectNode present = JSON.createObjectNode();
    object.forEachEntry((key, value) -> {
      if (!value.isNull()) {
        present.set(key, value);
      }
    });
    return present;
  }

  private static String result(ToolTransport.Response response) {
    int status = response.status();
    if (status < 200 || status > 299) {
      return error(status + ": " + detail(response));
    }
    if (response.body().isBlank()) {
      return JSON.createObjectNode().put("status", status).toString();
    }
    if (!isText(response.contentType())) {
      return JSON.createObjectNode()
          .put("content_type", response.contentType())
          .put("note", "the result is binary content, which cannot be shown here as text; use display_file to show"
              + " a file to the user, or run_command to inspect it")
          .toString();
    }
    String body = response.body();
    if (body.length() <= MAX_RESULT_CHARS) {
      return body;
    }
    return cut(body, MAX_RESULT_CHARS) + "\n[result truncated: only the first " + MAX_RESULT_CHARS + " of "
        + body.length() + " characters are shown; ask for less at a time, e.g. with tail, offset or start_line/end_line]";
  }

  private static String detail(ToolTransport.Response response) {
    String body = response.body().strip();
    if (response.contentType().toLowerCase(Locale.ROOT).contains("json")) {
      try {
        JsonNode problem = JSON.readTree(body);
        for (String field : List.of("detail", "title", "message", "error")) {
          JsonNode value = problem.path(field);
          if (value.isString() && !value.stringValue().isBlank()) {
            return cut(value.stringValue(), MAX_ERROR_DETAIL_CHARS);
          }
        }
      } catch (JacksonException e) {
        // not JSON after all: fall back to the text
      }
    }
    return body.isEmpty() ? "the request failed without a message" : cut(body, MAX_ERROR_DETAIL_CHARS);
  }

  private static boolean isText(String contentType) {
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.isEmpty() || type.startsWith("text/") || type.contains("json") || type.contains("xml")
        || type.contains("yaml") || type.contains("javascript");
  }

  /** The first {@code max} characters of the text, not splitting a surrogate pair. */
  private static String cut(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    return text.substring(0, end);
  }

  private static String quote(String text) {
    return "'" + cut(text, 100) + "'";
  }

  private static String error(String message) {
    return JSON.createObjectNode().put("error", message).toString();
  }

  // ---- reading the document ----

  private record Parsed(ToolOperation operation, ObjectNode definition) {}

  /** The operation cannot be offered as a JSON tool. */
  private static final class Unusable extends RuntimeException {
    Unusable(String message) {
      super(message, null, false, false);
    }
  }

  private static Parsed parse(JsonNode doc, String path, String method, JsonNode item, JsonNode operation, String name) {
    // Path-level parameters apply to every operation unless the operation redefines them.
    Map<String, JsonNode> declared = new LinkedHashMap<>();
    for (JsonNode source : List.of(item.path("parameters"), operation.path("parameters"))) {
      for (JsonNode raw : source) {
        JsonNode parameter = inline(raw, doc, new ArrayList<>());
        declared.put(parameter.path("in").asString("") + " " + parameter.path("name").asString(""), parameter);
      }
    }
    List<Parameter> parameters = new ArrayList<>();
    Map<String, JsonNode> pathSchemas = new LinkedHashMap<>();
    Map<String, JsonNode> querySchemas = new LinkedHashMap<>();
    for (JsonNode parameter : declared.values()) {
      String in = parameter.path("in").asString("");
      String parameterName = parameter.path("name").asString("");
      if (!in.equals("path") && !in.equals("query")) {
        continue;
      }
      if (parameterName.isEmpty()) {
        throw new Unusable("a parameter without a name");
      }
      ObjectNode schema = parameter.get("schema") instanceof ObjectNode s ? s.deepCopy() : JSON.createObjectNode();
      String description = parameter.path("description").asString("");
      if (!description.isBlank()) {
        schema.put("description", description);
      }
      boolean inPath = in.equals("path");
      boolean array = "array".equals(schema.path("type").asString(""));
      Map<String, JsonNode> target = inPath ? pathSchemas : querySchemas;
      if (pathSchemas.containsKey(parameterName) || querySchemas.containsKey(parameterName)) {
        throw new Unusable("parameter " + parameterName + " is declared twice");
      }
      target.put(parameterName, schema);
      parameters.add(new Parameter(parameterName, inPath ? Location.PATH : Location.QUERY,
          inPath || parameter.path("required").asBoolean(false), array));
    }
    if (!new LinkedHashSet<>(ToolOperation.placeholders(path)).equals(pathSchemas.keySet())) {
      throw new Unusable("the path placeholders and the path parameters differ");
    }

    Map<String, JsonNode> bodySchemas = new LinkedHashMap<>();
    Set<String> requiredBody = new LinkedHashSet<>();
    boolean hasBody = false;
    boolean bodyRequired = false;
    if (operation.has("requestBody")) {
      JsonNode body = inline(operation.get("requestBody"), doc, new ArrayList<>());
      JsonNode schema = jsonSchema(body.path("content"));
      if (!schema.path("type").asString("object").equals("object") || schema.has("oneOf") || schema.has("anyOf")) {
        throw new Unusable("the request body is not a plain JSON object");
      }
      schema.path("properties").forEachEntry(bodySchemas::put);
      for (JsonNode required : schema.path("required")) {
        if (bodySchemas.containsKey(required.asString(""))) {
          requiredBody.add(required.asString());
        }
      }
      for (String property : bodySchemas.keySet()) {
        if (pathSchemas.containsKey(property) || querySchemas.containsKey(property)) {
          throw new Unusable("body property " + property + " has the name of a parameter");
        }
      }
      hasBody = true;
      bodyRequired = body.path("required").asBoolean(false);
    }

    ObjectNode properties = JSON.createObjectNode();
    ArrayNode required = JSON.createArrayNode();
    pathSchemas.forEach((key, schema) -> {
      properties.set(key, schema);
      required.add(key);
    });
    bodySchemas.forEach((key, schema) -> {
      properties.set(key, schema);
      if (requiredBody.contains(key)) {
        required.add(key);
      }
    });
    querySchemas.forEach((key, schema) -> {
      properties.set(key, schema);
      if (parameters.stream().anyMatch(p -> p.name().equals(key) && p.required())) {
        required.add(key);
      }
    });
    ObjectNode schema = JSON.createObjectNode().put("type", "object");
    schema.set("properties", properties);
    schema.set("required", required);

    String description = operation.path("description").asString("");
    if (description.isBlank()) {
      description = operation.path("summary").asString("");
    }
    if (description.isBlank()) {
      description = method.toUpperCase(Locale.ROOT) + " " + path;
    }
    ObjectNode function = JSON.createObjectNode().put("name", name).put("description", description.strip());
    function.set("parameters", schema);
    ObjectNode definition = JSON.createObjectNode().put("type", "function");
    definition.set("function", function);

    ToolOperation callable = new ToolOperation(name, method.toUpperCase(Locale.ROOT), path, parameters,
        bodySchemas.keySet(), requiredBody, hasBody, bodyRequired);
    return new Parsed(callable, definition);
  }

  /** The schema of the JSON media type of a request body's content. */
  private static JsonNode jsonSchema(JsonNode content) {
    for (String mediaType : content.propertyNames()) {
      String type = mediaType.toLowerCase(Locale.ROOT);
      if (type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"))) {
        return content.get(mediaType).path("schema");
      }
    }
    throw new Unusable("the request body is not JSON");
  }

  /**
   * A copy of the node with every local {@code $ref} replaced by what it points to (keywords
   * beside the {@code $ref} win).
   */
  private static JsonNode inline(JsonNode node, JsonNode doc, List<String> trail) {
    if (node instanceof ObjectNode object) {
      ObjectNode result = JSON.createObjectNode();
      if (object.get("$ref") instanceof JsonNode ref) {
        String pointer = ref.asString("");
        if (!pointer.startsWith("#/")) {
          throw new Unusable("a $ref outside the document: " + pointer);
        }
        if (trail.contains(pointer) || trail.size() > 32) {
          throw new Unusable("a recursive schema: " + pointer);
        }
        JsonNode target;
        try {
          target = doc.at(pointer.substring(1));
        } catch (IllegalArgumentException e) {
          throw new Unusable("an invalid $ref: " + pointer);
        }
        if (target.isMissingNode()) {
          throw new Unusable("an unresolved $ref: " + pointer);
        }
        trail.add(pointer);
        JsonNode resolved = inline(target, doc, trail);
        trail.removeLast();
        if (!(resolved instanceof ObjectNode resolvedObject)) {
          throw new Unusable("a $ref to something that is not an object: " + pointer);
        }
        result.setAll(resolvedObject);
      }
      object.forEachEntry((key, value) -> {
        if (!key.equals("$ref")) {
          result.set(key, inline(value, doc, trail));
        }
      });
      return result;
    }
    if (node instanceof ArrayNode array) {
      ArrayNode result = JSON.createArrayNode();
      array.forEach(element -> result.add(inline(element, doc, trail)));
      return result;
    }
    return node.deepCopy();
  }
}
