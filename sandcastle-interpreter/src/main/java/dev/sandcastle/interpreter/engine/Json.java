package dev.sandcastle.interpreter.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** JSON helpers of the engines: MIME bundles as plain Java values. */
final class Json {
  static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private Json() {}

  /** A JSON value as plain Java objects: Map, List, String, Number, Boolean, or null. */
  static Object plain(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.properties().forEach(entry -> map.put(entry.getKey(), plain(entry.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(plain(item)));
      return list;
    }
    if (node.isString()) {
      return node.asString();
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.toString();
  }

  /** Base64 of binary types without the line breaks some kernels put in. */
  static Object normalise(String mimeType, Object value) {
    return value instanceof String text && isBase64(mimeType) ? WHITESPACE.matcher(text).replaceAll("") : value;
  }

  private static boolean isBase64(String mimeType) {
    return (mimeType.startsWith("image/") && !mimeType.equals("image/svg+xml")) || mimeType.equals("application/pdf");
  }

  /** Whether values of this MIME type are JSON documents rather than text. */
  static boolean isJson(String mimeType) {
    return mimeType.equals("application/json") || mimeType.endsWith("+json");
  }

  /**
   * A bundle whose values are all text (as the Jupyter client gives them): JSON types parsed to
   * plain values (kept as text when they do not parse), base64 without line breaks, the rest kept
   * as text.
   */
  static Map<String, Object> textBundle(Map<String, String> data) {
    Map<String, Object> bundle = new LinkedHashMap<>();
    data.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
      Object value = entry.getValue();
      if (isJson(entry.getKey())) {
        try {
          value = plain(MAPPER.readTree(entry.getValue()));
        } catch (JacksonException e) {
          // not JSON after all: keep the text
        }
      }
      bundle.put(entry.getKey(), normalise(entry.getKey(), value));
    });
    return bundle;
  }

  /**
   * A bundle from JSON (as a browser page sends it): text values kept, arrays of strings joined
   * (the notebook's multi-line form), base64 without line breaks, JSON types as plain values.
   */
  static Map<String, Object> jsonBundle(JsonNode data) {
    Map<String, Object> bundle = new LinkedHashMap<>();
    data.properties().forEach(entry -> {
      JsonNode value = entry.getValue();
      if (isJson(entry.getKey())) {
        bundle.put(entry.getKey(), plain(value));
      } else if (value.isArray()) {
        StringBuilder joined = new StringBuilder();
        value.forEach(part -> joined.append(part.asString("")));
        bundle.put(entry.getKey(), joined.toString());
      } else if (value.isString()) {
        bundle.put(entry.getKey(), normalise(entry.getKey(), value.asString()));
      } else if (!value.isNull() && !value.isMissingNode()) {
        bundle.put(entry.getKey(), value.toString());
      }
    });
    return bundle;
  }
}
