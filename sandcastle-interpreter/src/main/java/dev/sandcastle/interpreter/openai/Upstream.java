package dev.sandcastle.interpreter.openai;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One OpenAI-compatible API that chats are forwarded to (OpenAI itself, Ollama, vLLM, llama.cpp
 * server, ...).
 *
 * <p>Requests go to {@code {baseUrl}/chat/completions} and {@code {baseUrl}/models}. The base URL
 * is normalised (trailing slashes removed) and must be an absolute {@code http} or {@code https}
 * URL without user info, query or fragment, e.g. {@code http://127.0.0.1:11434/v1}; the API key
 * may be empty (then no {@code Authorization} header is sent). An empty model list means the
 * models are discovered from the upstream; a non-empty one is used as is, without asking.
 *
 * <p>{@link #toString()} never shows the key. The compact constructor throws {@link
 * IllegalArgumentException} with a message fit for a configuration error.
 *
 * @param name a short non-blank name used in messages and as {@code owned_by} of its models
 * @param baseUrl the API's base URL, ending before {@code /chat/completions}
 * @param apiKey the bearer token, or empty for none
 * @param models the models this upstream serves, or empty to ask it
 */
public record Upstream(String name, String baseUrl, String apiKey, List<String> models) {

  public Upstream {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(apiKey, "apiKey");
    Objects.requireNonNull(models, "models");
    name = name.strip();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("an upstream needs a name");
    }
    baseUrl = normalise(baseUrl);
    if (apiKey.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException(
          "the API key of upstream '" + name + "' contains control characters");
    }
    models = List.copyOf(models);
    for (String model : models) {
      if (model.isBlank()) {
        throw new IllegalArgumentException("upstream '" + name + "' lists a blank model id");
      }
    }
  }

  /** An upstream whose models are discovered. */
  public Upstream(String name, String baseUrl, String apiKey) {
    this(name, baseUrl, apiKey, List.of());
  }

  /** The endpoint {@code {baseUrl}/{path}}. */
  URI endpoint(String path) {
    return URI.create(baseUrl + "/" + path);
  }

  @Override
  public String toString() {
    return "Upstream[name=" + name + ", baseUrl=" + baseUrl
        + ", apiKey=" + (apiKey.isEmpty() ? "(none)" : "***")
        + ", models=" + (models.isEmpty() ? "(discovered)" : models) + "]";
  }

  /**
   * Checks and normalises a base URL. Messages quote the URL only when it carries no user info or
   * query, where a secret might hide.
   */
  static String normalise(String raw) {
    String text = raw.strip();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("the upstream base URL is empty");
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the upstream base URL " + quoted(text)
          + " is not a valid URL (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("the upstream base URL " + quoted(text)
          + " must start with http:// or https:// (e.g. http://127.0.0.1:11434/v1)");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("an upstream base URL must not carry a user name or"
          + " password; give the API key separately (OPENAI_API_KEYS)");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("the upstream base URL " + quoted(text) + " has no host");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("an upstream base URL must not carry a query or fragment"
          + " (requests go to {base}/chat/completions)");
    }
    String normalised = text;
    while (normalised.endsWith("/")) {
      normalised = normalised.substring(0, normalised.length() - 1);
    }
    return normalised;
  }

  private static String quoted(String url) {
    return url.contains("@") || url.contains("?") ? "(not shown)" : "'" + url + "'";
  }
}
