package dev.sandcastle.orchestrator.pyodide;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Pyodide lock file ({@code pyodide-lock.json}): the Python and ABI its packages were built for,
 * and for each package its file and that file's sha256. Read defensively: lock files come from a
 * package index or a downloaded release, so every name that ends up in a path or a URL is checked
 * against a narrow pattern, and an entry that fails any check is left out (counted in {@code
 * rejected}) rather than trusted.
 *
 * @param rejected entries of the file that were left out because they did not pass the checks
 */
public record PyodideLock(Info info, Map<String, Entry> packages, int rejected) {
  /** Lock files larger than this are refused (the bundled one is ~120 KB for ~360 packages). */
  public static final int MAX_BYTES = 16 << 20;
  /** At most this many packages are read from one lock file. */
  public static final int MAX_PACKAGES = 20_000;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+!-]{0,63}");
  /** A package file's name: one path segment, no dot-dot, a package archive's extension. */
  static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\\.(whl|zip)");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern IMPORT = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
  private static final Set<String> INSTALL_DIRS = Set.of("site", "dynlib", "stdlib");
  private static final Set<String> PACKAGE_TYPES = Set.of("package", "shared_library", "cpython_module");

  public PyodideLock {
    Objects.requireNonNull(info, "info");
    packages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(packages));
  }

  /** What a lock's packages were built for; two locks mix only when these agree. */
  public record Info(String python, String abiVersion, String platform, String arch) {
    public Info {
      Objects.requireNonNull(python, "python");
      Objects.requireNonNull(abiVersion, "abiVersion");
      Objects.requireNonNull(platform, "platform");
      Objects.requireNonNull(arch, "arch");
    }

    @Override
    public String toString() {
      return "Python " + python + " (ABI " + (abiVersion.isEmpty() ? "?" : abiVersion) + ", " + platform + ", " + arch + ")";
    }
  }

  /** One package: what Pyodide needs to find, check and install it. */
  public record Entry(String key, String name, String version, String fileName, String sha256, String installDir, String packageType,
      List<String> imports, List<String> depends, boolean unvendoredTests) {
    public Entry {
      check(KEY, key, "key");
      check(NAME, name, "name");
      check(VERSION, version, "version");
      check(FILE_NAME, fileName, "file_name");
      check(SHA256, sha256, "sha256");
      if (!INSTALL_DIRS.contains(installDir)) {
        throw new IllegalArgumentException("install_dir must be one of " + INSTALL_DIRS);
      }
      if (!PACKAGE_TYPES.contains(packageType)) {
        throw new IllegalArgumentException("package_type must be one of " + PACKAGE_TYPES);
      }
      imports = List.copyOf(imports);
      depends = List.copyOf(depends);
      if (imports.size() > 64 || depends.size() > 256) {
        throw new IllegalArgumentException("too many imports or dependencies");
      }
      imports.forEach(i -> check(IMPORT, i, "import"));
      depends.forEach(d -> check(NAME, d, "dependency"));
    }

    /** The entry as a lock file writes it. */
    ObjectNode json() {
      ObjectNode node = JSON.createObjectNode();
      node.put("name", name).put("version", version).put("file_name", fileName).put("install_dir", installDir)
          .put("sha256", sha256).put("package_type", packageType);
      ArrayNode importNames = node.putArray("imports");
      imports.forEach(importNames::add);
      ArrayNode dependencies = node.putArray("depends");
      depends.forEach(dependencies::add);
      node.put("unvendored_tests", unvendoredTests);
      node.putObject("tool");
      return node;
    }

    private static void check(Pattern pattern, String value, String what) {
      if (value == null || !pattern.matcher(value).matches()) {
        throw new IllegalArgumentException("invalid " + what);
      }
    }
  }

  /** Thrown when a lock file cannot be read at all (not JSON, too large, no packages object). */
  public static final class Unreadable extends RuntimeException {
    Unreadable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Reads a lock file.
   *
   * @throws Unreadable the bytes are not a lock file
   */
  public static PyodideLock parse(byte[] json) {
    return fromTree(tree(json));
  }

  /** The JSON tree of a lock file, for serving it as it is. */
  static ObjectNode tree(byte[] json) {
    if (json.length > MAX_BYTES) {
      throw new Unreadable("the lock file is larger than " + (MAX_BYTES >> 20) + " MiB");
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new Unreadable("the lock file is not JSON");
    }
    if (!(root instanceof ObjectNode object) || !root.path("packages").isObject() || !root.path("info").isObject()) {
      throw new Unreadable("the lock file has no info and packages objects");
    }
    return object;
  }

  static PyodideLock fromTree(ObjectNode root) {
    JsonNode info = root.path("info");
    Info parsedInfo = new Info(info.path("python").asString(""), info.path("abi_version").asString(""),
        info.path("platform").asString(""), info.path("arch").asString(""));
    Map<String, Entry> packages = new LinkedHashMap<>();
    int rejected = 0;
    for (var field : root.path("packages").properties()) {
      if (packages.size() >= MAX_PACKAGES) {
        rejected++;
        continue;
      }
      Optional<Entry> entry = entry(field.getKey(), field.getValue());
      if (entry.isPresent()) {
        packages.put(entry.get().key(), entry.get());
      } else {
        rejected++;
      }
    }
    return new PyodideLock(parsedInfo, packages, rejected);
  }

  private static Optional<Entry> entry(String key, JsonNode node) {
    if (!node.isObject()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Entry(key, string(node, "name"), string(node, "version"), string(node, "file_name"), string(node, "sha256"),
          string(node, "install_dir"), string(node, "package_type"), strings(node.path("imports")), strings(node.path("depends")),
          node.path("unvendored_tests").asBoolean(false)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String string(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isString() ? value.asString() : null;
  }

  private static List<String> strings(JsonNode array) {
    if (array.isMissingNode()) {
      return List.of();
    }
    if (!array.isArray()) {
      throw new IllegalArgumentException("not a list");
    }
    List<String> values = new ArrayList<>();
    for (JsonNode value : array) {
      if (!value.isString()) {
        throw new IllegalArgumentException("not a list of names");
      }
      values.add(value.asString());
    }
    return values;
  }

  /** A package name as Pyodide compares them (PEP 503: lower case, runs of '-', '_' and '.' as one '-'). */
  static String normalize(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-");
  }

  /**
   * The packages of {@code other} this lock can take in: those it lacks (by name and by file
   * name), whose dependencies all resolve here or among them. The packages this lock already
   * names stay as they are, whatever {@code other} says about them: this lock is the authority.
   *
   * @throws IllegalArgumentException {@code other} was built for another Python or ABI, so none of
   *     its packages would load in this Pyodide
   */
  public List<Entry> additionsFrom(PyodideLock other) {
    if (!info.equals(other.info())) {
      throw new IllegalArgumentException("its packages are built for " + other.info() + ", but this Pyodide is " + info);
    }
    Set<String> files = new HashSet<>();
    packages.values().forEach(e -> files.add(e.fileName()));
    Map<String, Entry> candidates = new LinkedHashMap<>();
    for (Entry entry : other.packages().values()) {
      if (!packages.containsKey(entry.key()) && !files.contains(entry.fileName())) {
        files.add(entry.fileName());
        candidates.put(entry.key(), entry);
      }
    }
    boolean removed = true;
    while (removed) { // drop entries with a dependency nobody provides, until none is left
      removed = candidates.values().removeIf(entry -> entry.depends().stream().map(PyodideLock::normalize)
          .anyMatch(d -> !packages.containsKey(d) && !candidates.containsKey(d)));
    }
    return List.copyOf(candidates.values());
  }

  /** This lock with more packages (those it already has are kept). */
  public PyodideLock plus(Collection<Entry> more) {
    Map<String, Entry> all = new LinkedHashMap<>(packages);
    more.forEach(entry -> all.putIfAbsent(entry.key(), entry));
    return new PyodideLock(info, all, rejected);
  }

  /** A lock of this lock's info with only the given packages. */
  public PyodideLock withOnly(Collection<Entry> entries) {
    Map<String, Entry> only = new LinkedHashMap<>();
    entries.forEach(entry -> only.putIfAbsent(entry.key(), entry));
    return new PyodideLock(info, only, 0);
  }

  /** A lock file of this lock's info and the given packages, as bytes. */
  public byte[] write(Collection<Entry> entries) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode infoNode = root.putObject("info");
    infoNode.put("abi_version", info.abiVersion()).put("arch", info.arch()).put("platform", info.platform()).put("python", info.python());
    ObjectNode packageNodes = root.putObject("packages");
    entries.forEach(entry -> packageNodes.set(entry.key(), entry.json()));
    return JSON.writeValueAsBytes(root);
  }

  /** The lock file {@code base} with {@code more} packages added, as bytes. */
  static byte[] extend(ObjectNode base, Collection<Entry> more) {
    ObjectNode copy = base.deepCopy();
    ObjectNode packageNodes = (ObjectNode) copy.get("packages");
    more.forEach(entry -> {
      if (!packageNodes.has(entry.key())) {
        packageNodes.set(entry.key(), entry.json());
      }
    });
    return JSON.writeValueAsBytes(copy);
  }
}
