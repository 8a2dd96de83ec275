package dev.sandcastle.interpreter.chat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One operation of the tools document as a callable tool: where its arguments go (path, query or
 * JSON body) and which are required. Immutable.
 *
 * @param name the operationId, the tool's name
 * @param method HTTP method in upper case
 * @param pathTemplate the OpenAPI path, with {@code {name}} placeholders for path parameters
 * @param parameters path and query parameters, in document order
 * @param bodyProperties the JSON body's top-level properties
 * @param requiredBody the body properties the model must give
 * @param hasBody whether the operation takes a JSON body at all
 * @param bodyRequired whether a body must be sent even when no body property was given
 */
record ToolOperation(String name, String method, String pathTemplate, List<Parameter> parameters,
    Set<String> bodyProperties, Set<String> requiredBody, boolean hasBody, boolean bodyRequired) {

  static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}/]+)}");

  ToolOperation {
    parameters = List.copyOf(parameters);
    bodyProperties = Set.copyOf(bodyProperties);
    requiredBody = Set.copyOf(requiredBody);
  }

  /** Where a parameter goes. */
  enum Location { PATH, QUERY }

  /** A path or query parameter; {@code array} ones repeat in the query, one pair per item. */
  record Parameter(String name, Location in, boolean required, boolean array) {
    Parameter {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(in, "in");
    }
  }

  /** The HTTP request one call makes. */
  record Request(String method, String pathAndQuery, Optional<String> jsonBody) {}

  /** The arguments do not fit the operation; the message is meant for the model. */
  static final class InvalidArguments extends RuntimeException {
    InvalidArguments(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The request for the given arguments (a JSON object without null values). Arguments the
   * operation does not know are ignored.
   *
   * @throws InvalidArguments when a required argument is missing or a value has an unusable shape
   */
  Request request(ObjectNode arguments, JsonMapper json) {
    List<String> missing = new ArrayList<>();
    for (Parameter parameter : parameters) {
      if (parameter.required() && !arguments.has(parameter.name())) {
        missing.add(parameter.name());
      }
    }
    for (String property : requiredBody) {
      if (!arguments.has(property)) {
        missing.add(property);
      }
    }
    if (!missing.isEmpty()) {
      missing.sort(null);
      throw new InvalidArguments("missing required argument" + (missing.size() == 1 ? "" : "s") + " for " + name
          + ": " + String.join(", ", missing));
    }

    String path = pathTemplate;
    StringBuilder query = new StringBuilder();
    for (Parameter parameter : parameters) {
      JsonNode value = arguments.get(parameter.name());
      if (value == null) {
        continue;
      }
      switch (parameter.in()) {
        case PATH -> path = path.replace("{" + parameter.name() + "}", segment(parameter.name(), value));
        case QUERY -> {
          List<JsonNode> values = new ArrayList<>();
          if (value.isArray() && parameter.array()) {
            value.forEach(values::add);
          } else {
            values.add(value);
          }
          for (JsonNode item : values) {
            query.append(query.isEmpty() ? '?' : '&')
                .append(encode(parameter.name())).append('=').append(encode(scalar(parameter.name(), item)));
          }
        }
      }
    }

    Optional<String> body = Optional.empty();
    if (hasBody) {
      ObjectNode content = json.createObjectNode();
      arguments.forEachEntry((key, value) -> {
        if (bodyProperties.contains(key)) {
          content.set(key, value);
        }
      });
      if (bodyRequired || !content.isEmpty()) {
        body = Optional.of(json.writeValueAsString(content));
      }
    }
    return new Request(method, path + query, body);
  }

  private static String segment(String name, JsonNode value) {
    String text = scalar(name, value);
    if (text.isEmpty() || text.equals(".") || text.equals("..")) {
      throw new InvalidArguments("argument " + name + " must not be empty, '.' or '..'");
    }
    return encode(text);
  }

  private static String scalar(String name, JsonNode value) {
    if (value.isString()) {
      return value.stringValue();
    }
    if (value.isNumber() || value.isBoolean()) {
      return value.toString();
    }
    throw new InvalidArguments("argument " + name + " must be a string, number or boolean"
        + (value.isArray() ? " (one value, not a list)" : ""));
  }

  /** Percent-encodes for a path segment or a query component (a space becomes %20). */
  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The placeholders of a path template, in order. */
  static List<String> placeholders(String pathTemplate) {
    List<String> names = new ArrayList<>();
    Matcher matcher = PLACEHOLDER.matcher(pathTemplate);
    while (matcher.find()) {
      names.add(matcher.group(1));
    }
    return names;
  }
}
