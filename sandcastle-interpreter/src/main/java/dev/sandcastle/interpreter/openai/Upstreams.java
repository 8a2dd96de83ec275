package dev.sandcastle.interpreter.openai;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The configured upstream APIs, in order (the first one serving a model wins). Immutable and
 * thread-safe; names are unique.
 *
 * <p>{@link #fromEnvironment} reads Open WebUI's own variable names, so the same environment
 * configures both.
 */
public final class Upstreams {
  private final List<Upstream> all;

  private Upstreams(List<Upstream> all) {
    this.all = all;
  }

  /**
   * The given upstreams, in order.
   *
   * @throws IllegalArgumentException two upstreams share a name
   */
  public static Upstreams of(List<Upstream> upstreams) {
    List<Upstream> copy = List.copyOf(upstreams);
    Set<String> names = new HashSet<>();
    for (Upstream upstream : copy) {
      if (!names.add(upstream.name())) {
        throw new IllegalArgumentException(
            "two upstreams are named '" + upstream.name() + "'; names must be unique");
      }
    }
    return new Upstreams(copy);
  }

  /**
   * The upstreams configured the way Open WebUI reads them.
   *
   * <ul>
   *   <li>{@code OPENAI_API_BASE_URLS}: base URLs separated by {@code ;}; when blank, {@code
   *       OPENAI_API_BASE_URL} gives one. Neither set: no upstream.
   *   <li>{@code OPENAI_API_KEYS}: keys separated by {@code ;}, matched to the URLs by position;
   *       when blank, {@code OPENAI_API_KEY}. Missing keys are empty (no {@code Authorization}
   *       header); surplus keys are ignored, as Open WebUI does.
   *   <li>{@code ENABLE_OPENAI_API=false} turns them all off, as in Open WebUI.
   * </ul>
   *
   * <p>Blank entries are skipped (keeping the positions of the others). Each upstream is named
   * after its host and port ({@code 127.0.0.1:11434}), with {@code #2}, {@code #3} appended when a
   * host appears more than once; its models are discovered.
   *
   * @throws IllegalArgumentException a URL is malformed; the message names the variable and the
   *     position and never contains a key
   */
  public static Upstreams fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    if (env.getOrDefault("ENABLE_OPENAI_API", "true").strip().equalsIgnoreCase("false")) {
      return new Upstreams(List.of());
    }
    String urlVariable = "OPENAI_API_BASE_URLS";
    String urls = env.getOrDefault(urlVariable, "");
    if (urls.isBlank()) {
      urlVariable = "OPENAI_API_BASE_URL";
      urls = env.getOrDefault(urlVariable, "");
    }
    String keys = env.getOrDefault("OPENAI_API_KEYS", "");
    if (keys.isBlank()) {
      keys = env.getOrDefault("OPENAI_API_KEY", "");
    }
    String[] urlList = urls.split(";", -1);
    String[] keyList = keys.split(";", -1);
    List<Upstream> upstreams = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < urlList.length; i++) {
      String url = urlList[i].strip();
      if (url.isEmpty()) {
        continue;
      }
      String key = i < keyList.length ? keyList[i].strip() : "";
      String normalised;
      try {
        normalised = Upstream.normalise(url);
      } catch (IllegalArgumentException e) {
        String where = urlList.length > 1 ? urlVariable + " (entry " + (i + 1) + ")" : urlVariable;
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
      String name = uniqueName(hostAndPort(normalised), names);
      upstreams.add(new Upstream(name, normalised, key));
    }
    return new Upstreams(List.copyOf(upstreams));
  }

  /** The upstreams, in order. */
  public List<Upstream> all() {
    return all;
  }

  /** The upstream of this name. */
  public Optional<Upstream> named(String name) {
    return all.stream().filter(upstream -> upstream.name().equals(name)).findFirst();
  }

  /** True when no upstream is configured. */
  public boolean isEmpty() {
    return all.isEmpty();
  }

  @Override
  public String toString() {
    return all.toString();
  }

  private static String hostAndPort(String url) {
    URI uri = URI.create(url);
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    return uri.getPort() < 0 ? host : host + ":" + uri.getPort();
  }

  private static String uniqueName(String base, Set<String> taken) {
    String name = base;
    for (int n = 2; !taken.add(name); n++) {
      name = base + "#" + n;
    }
    return name;
  }
}
