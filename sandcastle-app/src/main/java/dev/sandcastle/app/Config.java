package dev.sandcastle.app;

import dev.sandcastle.api.TrustedProxies;
import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The whole configuration, loaded once and validated at start-up. Sources, strongest first: the
 * command line, the environment ({@code SANDCASTLE_*}, then upstream {@code OPEN_TERMINAL_*}
 * names), the config file, the defaults in {@link Setting}.
 */
record Config(
    String host,
    int port,
    Path dataDir,
    Path workspaceHome,
    Optional<String> apiKey,
    Optional<Path> apiKeyFile,
    ApiKeys.Generation generateApiKey,
    SandboxPolicy policy,
    int uid,
    ExecSettings exec,
    FileLimits files,
    KernelSettings kernels,
    long maxRequestBytes,
    long maxUploadBytes,
    TrustedProxies trustedProxies,
    TerminalSettings terminals,
    Orchestration orchestration,
    Interpreter interpreter,
    dev.sandcastle.api.ClientHints hints) {

  /** The code interpreter: the models in front of which it runs, and where code runs. */
  record Interpreter(String baseUrls, String keys, String engine, boolean legacy, int maxRounds, Duration codeTimeout,
      Optional<java.net.URI> jupyterUrl, String jupyterToken, Optional<java.net.URI> pyodideIndex) {
    @Override
    public String toString() {
      return "Interpreter[engine=" + engine + ", legacy=" + legacy + "]"; // no keys
    }
  }

  /** The multi-tenant part: backend, state, authentication, audit. */
  record Orchestration(
      String backend, boolean multiUser, Path multiUserHomes, Optional<java.net.URI> staticUrl, String staticKey, Docker docker, String databaseUrl,
      String databaseUser, String databasePassword, Optional<String> webuiSecret, Optional<java.net.URI> jwksUrl,
      java.util.Set<String> jwtAlgorithms, java.util.Set<String> jwtIssuers, java.util.Set<String> jwtAudiences,
      Optional<java.net.URI> openWebuiUrl, boolean allowSignup, Duration idleTimeout, int maxTenantsPerUser, int warmPool, Duration sweepInterval,
      long storageBytes, int tenantUidBase, java.util.Set<String> allowedImages, java.util.Set<String> allowedRuntimes,
      Optional<java.net.URI> siemUrl, String siemSecret,
      Duration auditRetention, Optional<String> masterKey, Optional<String> previousMasterKeys, Cluster cluster,
      Optional<String> sharedJupyterUser) {
    @Override
    public String toString() {
      return "Orchestration[backend=" + backend + ", multiUser=" + multiUser + "]"; // no secrets
    }
  }

  /** The docker backend's engine, runtime and network (its image is the cluster's, {@code --image}). */
  record Docker(String host, String runtime, String network) {}

  /**
   * The kubernetes and operator backends' and the operator's settings.
   *
   * @param namespace "" = the client's default namespace
   * @param podTemplate a YAML file, if any (read when the backend starts)
   */
  record Cluster(String image, String namespace, String runtimeClass, Map<String, String> nodeSelector,
      java.util.List<String> tolerations, Optional<Path> podTemplate, String storageClass, Duration readyTimeout) {}

  /** A configuration problem, reported to the user in one line. */
  static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  static Config load(Map<Setting, String> commandLine, Map<String, String> env, int defaultPort) {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    String configFile = first(commandLine.get(Setting.CONFIG), fromEnv(Setting.CONFIG, env));
    if (configFile != null && !configFile.isBlank()) {
      Properties file = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(configFile))) {
        file.load(reader);
      } catch (IOException e) {
        throw new Invalid("cannot read config file " + configFile + ": " + e.getMessage());
      }
      for (String key : file.stringPropertyNames()) {
        Setting setting = byName(key).orElseThrow(() -> new Invalid("unknown option '" + key + "' in " + configFile));
        values.put(setting, file.getProperty(key).trim());
      }
    }
    for (Setting setting : Setting.values()) {
      String fromEnv = fromEnv(setting, env);
      if (fromEnv != null) {
        values.put(setting, fromEnv);
      }
      if (commandLine.containsKey(setting)) {
        values.put(setting, commandLine.get(setting));
      }
      values.putIfAbsent(setting, setting.fallback);
    }
    if (!values.get(Setting.API_KEY).isBlank() && !values.get(Setting.API_KEY_FILE).isBlank()) {
      // As Open Terminal does: silently preferring one would hide a mistake in the deployment.
      throw new Invalid("Both " + origin(Setting.API_KEY, commandLine, env) + " and " + origin(Setting.API_KEY_FILE, commandLine, env)
          + " are set, but they are mutually exclusive: set the key or the file holding it, not both.");
    }
    return from(values, defaultPort, env);
  }

  /** Where a setting's value came from, for messages: its option, its environment variable, or the config file. */
  private static String origin(Setting setting, Map<Setting, String> commandLine, Map<String, String> env) {
    if (commandLine.containsKey(setting)) {
      return "--" + setting.name;
    }
    return setting.env.stream().filter(name -> env.get(name) != null && !env.get(name).isBlank()).findFirst()
        .orElse(setting.name + " in the config file");
  }

  private static Config from(Map<Setting, String> v, int defaultPort, Map<String, String> env) {
    Path dataDir = Path.of(v.get(Setting.DATA_DIR)).toAbsolutePath().normalize();
    Path home = v.get(Setting.WORKSPACE).isBlank()
        ? dataDir.resolve("workspaces/default/home")
        : Path.of(v.get(Setting.WORKSPACE)).toAbsolutePath().normalize();
    int port = v.get(Setting.PORT).isBlank() ? defaultPort : integer(v, Setting.PORT, 0, 65535);
    SandboxPolicy.Mechanism mechanism = choice(v, Setting.SANDBOX, SandboxPolicy.Mechanism.class);
    SandboxPolicy.Network network = choice(v, Setting.NETWORK, SandboxPolicy.Network.class);
    Limits limits;
    try {
      limits = new Limits(bytes(v, Setting.MEMORY), integer(v, Setting.PIDS, 0, 4_194_304), decimal(v, Setting.CPUS));
    } catch (IllegalArgumentException e) {
      throw new Invalid(e.getMessage());
    }
    ExecSettings exec;
    try {
      exec = new ExecSettings(Duration.ofSeconds(integer(v, Setting.COMMAND_TIMEOUT, 0, 86_400)),
          Duration.ofSeconds(integer(v, Setting.RETENTION, 0, 30 * 86_400)), 500, 256,
          bytes(v, Setting.OUTPUT_MEMORY), bytes(v, Setting.OUTPUT_LOG));
    } catch (IllegalArgumentException e) {
      throw new Invalid("output limits must be at least 1k: " + e.getMessage());
    }
    FileLimits defaults = FileLimits.defaults();
    FileLimits files = new FileLimits(defaults.maxReadBytes(), bytes(v, Setting.MAX_FILE_WRITE), defaults.maxGrepResults(),
        defaults.maxGlobResults(), defaults.maxArchiveBytes());
    KernelSettings kernels = new KernelSettings(integer(v, Setting.MAX_KERNELS, 1, 1000),
        Duration.ofSeconds(integer(v, Setting.KERNEL_IDLE_TIMEOUT, 1, 30 * 86_400)),
        Duration.ofSeconds(integer(v, Setting.CELL_TIMEOUT, 1, 86_400)), Duration.ofSeconds(3));
    long maxRequest = bytes(v, Setting.MAX_REQUEST);
    long maxUpload = bytes(v, Setting.MAX_UPLOAD);
    if (maxRequest < 1024 || maxUpload < 1024) {
      throw new Invalid("max-request and max-upload must be at least 1k");
    }
    long scrollback = bytes(v, Setting.TERMINAL_SCROLLBACK);
    if (scrollback < TerminalSettings.MIN_SCROLLBACK || scrollback > TerminalSettings.MAX_SCROLLBACK) {
      throw new Invalid("--" + Setting.TERMINAL_SCROLLBACK.name + " must be between 4k and 64m");
    }
    TrustedProxies proxies;
    try {
      proxies = TrustedProxies.parse(v.get(Setting.TRUSTED_PROXIES));
    } catch (IllegalArgumentException e) {
      throw new Invalid("--" + Setting.TRUSTED_PROXIES.name + ": " + e.getMessage());
    }
    SandboxPolicy policy;
    try {
      java.util.List<String> paths = list(v, Setting.SANDBOX_PATHS).stream().sorted().toList();
      for (String path : paths) {
        if (dataDir.startsWith(path) || Path.of(path).startsWith(dataDir)) {
          throw new Invalid("--" + Setting.SANDBOX_PATHS.name + ": " + path + " holds or is inside the data directory, which no"
              + " workspace may see");
        }
      }
      policy = new SandboxPolicy(mechanism, network, limits).withReadOnlyPaths(paths);
    } catch (IllegalArgumentException e) {
      throw new Invalid("--" + Setting.SANDBOX_PATHS.name + ": " + e.getMessage());
    }
    TerminalSettings terminals = new TerminalSettings(integer(v, Setting.MAX_TERMINALS, 1, 10_000),
        Duration.ofSeconds(integer(v, Setting.TERMINAL_GRACE, 1, 7 * 86_400)), (int) scrollback);
    return new Config(v.get(Setting.HOST), port, dataDir, home,
        Optional.of(v.get(Setting.API_KEY)).filter(s -> !s.isBlank()),
        Optional.of(v.get(Setting.API_KEY_FILE)).filter(s -> !s.isBlank()).map(Path::of),
        keyGeneration(v), policy,
        integer(v, Setting.UID, 1, Integer.MAX_VALUE), exec, files, kernels, maxRequest, maxUpload, proxies, terminals,
        orchestration(v, env), interpreter(v), hints(v));
  }

  private static dev.sandcastle.api.ClientHints hints(Map<Setting, String> v) {
    try {
      return new dev.sandcastle.api.ClientHints(Optional.of(v.get(Setting.INFO)), v.get(Setting.FILE_BROWSER_ROOT));
    } catch (IllegalArgumentException e) {
      throw new Invalid("--" + Setting.FILE_BROWSER_ROOT.name + ": " + e.getMessage());
    }
  }

  private static Interpreter interpreter(Map<Setting, String> v) {
    String engine = v.get(Setting.CODE_INTERPRETER_ENGINE).trim().toLowerCase(Locale.ROOT);
    if (!engine.equals("workspace") && !engine.equals("jupyter") && !engine.equals("pyodide")) {
      throw new Invalid("--code-interpreter-engine must be workspace, jupyter or pyodide, got '" + engine + "'");
    }
    String mode = v.get(Setting.CODE_INTERPRETER_MODE).trim().toLowerCase(Locale.ROOT);
    if (!mode.equals("native") && !mode.equals("legacy")) {
      throw new Invalid("--code-interpreter-mode must be native or legacy, got '" + mode + "'");
    }
    Optional<java.net.URI> jupyter = url(v, Setting.JUPYTER_URL);
    if (engine.equals("jupyter") && jupyter.isEmpty()) {
      throw new Invalid("--code-interpreter-engine jupyter needs --jupyter-url");
    }
    return new Interpreter(v.get(Setting.OPENAI_API_BASE_URLS).trim(), v.get(Setting.OPENAI_API_KEYS).trim(), engine,
        mode.equals("legacy"), integer(v, Setting.CODE_INTERPRETER_ROUNDS, 1, 256),
        Duration.ofSeconds(integer(v, Setting.CODE_INTERPRETER_TIMEOUT, 1, 86_400)), jupyter, v.get(Setting.JUPYTER_TOKEN).trim(),
        pyodideIndex(v));
  }

  /** The Pyodide package index: an http(s) URL of a folder (a '/' is added when missing), or none. */
  private static Optional<java.net.URI> pyodideIndex(Map<Setting, String> v) {
    Optional<java.net.URI> index = url(v, Setting.PYODIDE_INDEX_URL);
    if (index.isPresent() && (index.get().getRawQuery() != null || index.get().getRawFragment() != null)) {
      throw new Invalid("--" + Setting.PYODIDE_INDEX_URL.name + " must be the URL of a folder, without a query or fragment");
    }
    return index.map(uri -> uri.toString().endsWith("/") ? uri : java.net.URI.create(uri + "/"));
  }

  private static Orchestration orchestration(Map<Setting, String> v, Map<String, String> env) {
    String backend = v.get(Setting.BACKEND).trim().toLowerCase(Locale.ROOT);
    if (!java.util.Set.of("local", "docker", "static", "kubernetes", "operator").contains(backend)) {
      throw new Invalid("--backend must be local, docker, static, kubernetes or operator, got '" + v.get(Setting.BACKEND) + "'");
    }
    String dockerHost = v.get(Setting.DOCKER_HOST).trim();
    if (!dockerHost.matches("unix:///\\S+|tcp://[^\\s/]+(:\\d+)?/?")) {
      throw new Invalid("--docker-host must be unix:///path/to/docker.sock or tcp://host:port, got '" + dockerHost + "'");
    }
    String dockerRuntime = v.get(Setting.DOCKER_RUNTIME).trim();
    if (!dockerRuntime.matches("[A-Za-z0-9._-]*")) {
      throw new Invalid("--docker-runtime is not a runtime name: '" + dockerRuntime + "'");
    }
    String dockerNetwork = v.get(Setting.DOCKER_NETWORK).trim();
    if (!dockerNetwork.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}")) {
      throw new Invalid("--docker-network must be 1-41 of letters, digits, '_', '.' and '-', got '" + dockerNetwork + "'");
    }
    Optional<java.net.URI> staticUrl = url(v, Setting.STATIC_URL);
    if (backend.equals("static") && staticUrl.isEmpty()) {
      throw new Invalid("--backend static needs --static-url (and --static-key)");
    }
    String databaseUrl = v.get(Setting.DATABASE_URL).trim();
    if (!databaseUrl.isEmpty() && !databaseUrl.startsWith("jdbc:postgresql:") && !databaseUrl.startsWith("jdbc:h2:")) {
      throw new Invalid("--database-url must be a jdbc:postgresql: (or jdbc:h2:) URL");
    }
    java.util.Set<String> algorithms = new java.util.LinkedHashSet<>();
    for (String name : v.get(Setting.JWT_ALGORITHMS).split(",")) {
      if (!name.isBlank()) {
        algorithms.add(name.trim().toUpperCase(Locale.ROOT));
      }
    }
    if (algorithms.contains("NONE")) {
      throw new Invalid("--jwt-algorithms must not contain 'none'");
    }
    java.util.Set<String> issuers = list(v, Setting.JWT_ISSUER);
    java.util.Set<String> audiences = list(v, Setting.JWT_AUDIENCE);
    if ((!issuers.isEmpty() || !audiences.isEmpty()) && v.get(Setting.WEBUI_SECRET_KEY).isBlank() && v.get(Setting.JWKS_URL).isBlank()) {
      throw new Invalid("--jwt-issuer and --jwt-audience apply to user tokens verified here: they need --webui-secret-key or --jwks-url");
    }
    java.util.Set<String> images = new java.util.LinkedHashSet<>();
    for (String image : v.get(Setting.ALLOWED_IMAGES).split(",")) {
      if (!image.isBlank()) {
        images.add(image.trim());
      }
    }
    java.util.Set<String> runtimes = new java.util.LinkedHashSet<>();
    for (String runtime : v.get(Setting.ALLOWED_RUNTIMES).split(",")) {
      if (!runtime.isBlank()) {
        if (!runtime.trim().matches(dev.sandcastle.orchestrator.policy.Policy.RUNTIME_PATTERN)) {
          throw new Invalid("--allowed-runtimes takes runtime names (1-63 of lower-case letters, digits, '_', '.' and '-') separated by"
              + " commas, got '" + runtime.trim() + "'");
        }
        runtimes.add(runtime.trim());
      }
    }
    Optional<java.net.URI> siem = url(v, Setting.SIEM_URL);
    if (siem.isPresent() && v.get(Setting.SIEM_SECRET).isBlank()) {
      throw new Invalid("--siem-url needs --siem-secret: the receiver must be able to check the signature");
    }
    long storage = bytes(v, Setting.STORAGE);
    if (storage < (1 << 20)) {
      throw new Invalid("--storage must be at least 1m");
    }
    return new Orchestration(backend, bool(v, Setting.MULTI_USER), Path.of(v.get(Setting.MULTI_USER_HOMES)).toAbsolutePath().normalize(), staticUrl, v.get(Setting.STATIC_KEY).trim(),
        new Docker(dockerHost, dockerRuntime, dockerNetwork), databaseUrl,
        v.get(Setting.DATABASE_USER), v.get(Setting.DATABASE_PASSWORD),
        Optional.of(v.get(Setting.WEBUI_SECRET_KEY)).filter(x -> !x.isBlank()), url(v, Setting.JWKS_URL),
        java.util.Set.copyOf(algorithms), issuers, audiences, url(v, Setting.OPEN_WEBUI_URL), bool(v, Setting.ALLOW_SIGNUP),
        Duration.ofSeconds(integer(v, Setting.IDLE_TIMEOUT, 1, 30 * 86_400)), integer(v, Setting.MAX_TENANTS_PER_USER, 1, 100_000),
        integer(v, Setting.WARM_POOL, 0, 64),
        Duration.ofSeconds(integer(v, Setting.SWEEP_INTERVAL, 1, 3600)), storage,
        integer(v, Setting.TENANT_UID_BASE, 65_536, 1_000_000_000), java.util.Set.copyOf(images), java.util.Set.copyOf(runtimes), siem,
        v.get(Setting.SIEM_SECRET),
        Duration.ofDays(integer(v, Setting.AUDIT_RETENTION_DAYS, 0, 36_500)), Optional.ofNullable(env.get("SANDCASTLE_MASTER_KEY")).filter(x -> !x.isBlank()),
        Optional.ofNullable(env.get("SANDCASTLE_MASTER_KEY_PREVIOUS")).filter(x -> !x.isBlank()), cluster(v), sharedJupyterUser(v));
  }

  private static Optional<String> sharedJupyterUser(Map<Setting, String> v) {
    Optional<String> user = Optional.of(v.get(Setting.SHARED_JUPYTER_USER).trim()).filter(x -> !x.isEmpty());
    try {
      user.ifPresent(id -> new dev.sandcastle.orchestrator.tenant.TenantKey(id, "default", "default"));
    } catch (dev.sandcastle.core.errors.BadRequest e) {
      throw new Invalid("--" + Setting.SHARED_JUPYTER_USER.name + ": " + e.getMessage());
    }
    return user;
  }

  private static Cluster cluster(Map<Setting, String> v) {
    String namespace = v.get(Setting.KUBERNETES_NAMESPACE).trim();
    if (!namespace.isEmpty() && !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw new Invalid("--kubernetes-namespace must be a DNS label, got '" + namespace + "'");
    }
    Map<String, String> nodeSelector = new java.util.LinkedHashMap<>();
    for (String pair : v.get(Setting.KUBERNETES_NODE_SELECTOR).split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new Invalid("--kubernetes-node-selector takes key=value pairs separated by commas, got '" + pair.trim() + "'");
      }
      nodeSelector.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    java.util.List<String> tolerations = new java.util.ArrayList<>();
    for (String toleration : v.get(Setting.KUBERNETES_TOLERATIONS).split(",")) {
      if (!toleration.isBlank()) {
        if (!toleration.trim().matches("[^=:]+(=[^=:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)")) {
          throw new Invalid("--kubernetes-tolerations takes key[=value]:Effect (NoSchedule, PreferNoSchedule or NoExecute), got '"
              + toleration.trim() + "'");
        }
        tolerations.add(toleration.trim());
      }
    }
    Optional<Path> template = Optional.of(v.get(Setting.KUBERNETES_POD_TEMPLATE).trim()).filter(x -> !x.isEmpty()).map(Path::of);
    if (template.isPresent() && !Files.isReadable(template.get())) {
      throw new Invalid("--kubernetes-pod-template: cannot read " + template.get());
    }
    String image = v.get(Setting.IMAGE).trim();
    if (image.isEmpty()) {
      throw new Invalid("--image must not be empty");
    }
    return new Cluster(image, namespace, v.get(Setting.KUBERNETES_RUNTIME_CLASS).trim(), Map.copyOf(nodeSelector),
        java.util.List.copyOf(tolerations), template, v.get(Setting.KUBERNETES_STORAGE_CLASS).trim(),
        Duration.ofSeconds(integer(v, Setting.KUBERNETES_READY_TIMEOUT, 1, 3600)));
  }

  /** A comma-separated list of at most 64 values of at most 1024 characters each, trimmed, without empty ones. */
  private static java.util.Set<String> list(Map<Setting, String> v, Setting s) {
    java.util.Set<String> values = new java.util.LinkedHashSet<>();
    for (String value : v.get(s).split(",")) {
      String trimmed = value.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.length() > 1024 || trimmed.chars().anyMatch(Character::isISOControl)) {
        throw new Invalid("--" + s.name + " takes values of at most 1024 characters without control characters");
      }
      values.add(trimmed);
    }
    if (values.size() > 64) {
      throw new Invalid("--" + s.name + " takes at most 64 values");
    }
    return java.util.Set.copyOf(values);
  }

  private static Optional<java.net.URI> url(Map<Setting, String> v, Setting s) {
    String raw = v.get(s).trim();
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      java.net.URI uri = new java.net.URI(raw);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new Invalid("--" + s.name + " must be an http(s) URL with a host, got '" + raw + "'");
      }
      return Optional.of(uri);
    } catch (java.net.URISyntaxException e) {
      throw new Invalid("--" + s.name + " is not a valid URL: '" + raw + "'");
    }
  }

  static Optional<Setting> byName(String name) {
    for (Setting setting : Setting.values()) {
      if (setting.name.equals(name)) {
        return Optional.of(setting);
      }
    }
    return Optional.empty();
  }

  private static String fromEnv(Setting setting, Map<String, String> env) {
    for (String name : setting.env) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }

  private static int integer(Map<Setting, String> v, Setting s, int min, int max) {
    try {
      int value = Integer.parseInt(v.get(s).trim());
      if (value < min || value > max) {
        throw new Invalid("--" + s.name + " must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new Invalid("--" + s.name + " must be an integer, got '" + v.get(s) + "'");
    }
  }

  private static double decimal(Map<Setting, String> v, Setting s) {
    try {
      double value = Double.parseDouble(v.get(s).trim());
      if (!(value >= 0 && value <= 1024)) {
        throw new Invalid("--" + s.name + " must be between 0 and 1024");
      }
      return value;
    } catch (NumberFormatException e) {
      throw new Invalid("--" + s.name + " must be a number, got '" + v.get(s) + "'");
    }
  }

  private static ApiKeys.Generation keyGeneration(Map<Setting, String> v) {
    return switch (v.get(Setting.GENERATE_API_KEY).trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> ApiKeys.Generation.STORE;
      case "show" -> ApiKeys.Generation.SHOW;
      case "false", "no", "0", "off" -> ApiKeys.Generation.OFF;
      default -> throw new Invalid("--" + Setting.GENERATE_API_KEY.name + " must be true, show or false, got '" + v.get(Setting.GENERATE_API_KEY) + "'");
    };
  }

  private static boolean bool(Map<Setting, String> v, Setting s) {
    return switch (v.get(s).trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new Invalid("--" + s.name + " must be true or false, got '" + v.get(s) + "'");
    };
  }

  private static <E extends Enum<E>> E choice(Map<Setting, String> v, Setting s, Class<E> type) {
    try {
      return Enum.valueOf(type, v.get(s).trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new Invalid("--" + s.name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)
          + ", got '" + v.get(s) + "'");
    }
  }

  /** Sizes like 512, 64k, 512m, 2g (binary units). */
  static long bytes(Map<Setting, String> v, Setting s) {
    String raw = v.get(s).trim().toLowerCase(Locale.ROOT);
    try {
      long unit = 1;
      char last = raw.isEmpty() ? ' ' : raw.charAt(raw.length() - 1);
      switch (last) {
        case 'k' -> unit = 1L << 10;
        case 'm' -> unit = 1L << 20;
        case 'g' -> unit = 1L << 30;
        default -> { }
      }
      String number = unit == 1 ? raw : raw.substring(0, raw.length() - 1);
      long value = Long.parseLong(number.trim());
      if (value < 0 || value > (Long.MAX_VALUE / unit)) {
        throw new NumberFormatException();
      }
      return value * unit;
    } catch (NumberFormatException e) {
      throw new Invalid("--" + s.name + " must be a size such as 512m or 2g, got '" + v.get(s) + "'");
    }
  }
}
