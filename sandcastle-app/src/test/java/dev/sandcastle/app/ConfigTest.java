package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsAreSafe() {
    Config config = Config.load(Map.of(), Map.of(), 8000);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(8000);
    assertThat(config.policy().mechanism()).isEqualTo(SandboxPolicy.Mechanism.BWRAP);
    assertThat(config.policy().network()).isEqualTo(SandboxPolicy.Network.NONE);
    assertThat(config.policy().limits().memoryBytes()).isEqualTo(2L << 30);
    assertThat(config.workspaceHome().toString()).endsWith("/data/workspaces/default/home");
  }

  @Test
  void aKeyAndAKeyFileTogetherAreRefusedAsOpenTerminalRefusesThem() throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "from-the-file-123\n");
    assertThatThrownBy(() -> Config.load(Map.of(), Map.of("OPEN_TERMINAL_API_KEY", "direct-key-123", "OPEN_TERMINAL_API_KEY_FILE", file.toString()), 8000))
        .isInstanceOf(Config.Invalid.class)
        .hasMessageContaining("Both OPEN_TERMINAL_API_KEY and OPEN_TERMINAL_API_KEY_FILE are set, but they are mutually exclusive");
    assertThatThrownBy(() -> Config.load(Map.of(), Map.of("SANDCASTLE_API_KEY", "direct-key-123", "SANDCASTLE_API_KEY_FILE", file.toString()), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("Both SANDCASTLE_API_KEY and SANDCASTLE_API_KEY_FILE are set");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.API_KEY, "direct-key-123"), Map.of("OPEN_TERMINAL_API_KEY_FILE", file.toString()), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("Both --api-key and OPEN_TERMINAL_API_KEY_FILE");
    assertThat(Config.load(Map.of(), Map.of("OPEN_TERMINAL_API_KEY_FILE", file.toString()), 8000).apiKeyFile()).contains(file);
  }

  @Test
  void commandLineBeatsEnvironmentBeatsFile() throws Exception {
    Path file = dir.resolve("sandcastle.properties");
    Files.writeString(file, "port=9001\nmemory=1g\npids=100\n");
    Config config = Config.load(Map.of(Setting.PORT, "9003"),
        Map.of("SANDCASTLE_CONFIG", file.toString(), "SANDCASTLE_PORT", "9002", "SANDCASTLE_MEMORY", "512m"), 8000);
    assertThat(config.port()).isEqualTo(9003);
    assertThat(config.policy().limits().memoryBytes()).isEqualTo(512L << 20);
    assertThat(config.policy().limits().pids()).isEqualTo(100);
  }

  @Test
  void sandboxPathsAreTheDefaultPolicysReadOnlyPathsAndNeverTheDataDirectory() {
    Config config = Config.load(Map.of(Setting.SANDBOX_PATHS, "/opt/models, /etc/pip.conf", Setting.DATA_DIR, "/srv/sandcastle"),
        Map.of(), 8080);
    assertThat(config.policy().readOnlyPaths()).containsExactly("/etc/pip.conf", "/opt/models");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.SANDBOX_PATHS, "/srv", Setting.DATA_DIR, "/srv/sandcastle"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("data directory");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.SANDBOX_PATHS, "/srv/sandcastle/homes"), Map.of("SANDCASTLE_DATA_DIR",
        "/srv/sandcastle"), 8080)).isInstanceOf(Config.Invalid.class).hasMessageContaining("data directory");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.SANDBOX_PATHS, "/proc/1"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--sandbox-paths").hasMessageContaining("/proc");
  }

  @Test
  void acceptedJwtIssuersAndAudiencesAreCommaSeparatedAndNeedATokenVerifiedHere() {
    Config config = Config.load(Map.of(Setting.JWT_AUDIENCE, "sandcastle, terminals ,"),
        Map.of("SANDCASTLE_JWKS_URL", "https://idp.example.com/jwks", "SANDCASTLE_JWT_ISSUER", "https://idp.example.com/realms/a"), 8080);
    assertThat(config.orchestration().jwtIssuers()).containsExactly("https://idp.example.com/realms/a");
    assertThat(config.orchestration().jwtAudiences()).containsExactlyInAnyOrder("sandcastle", "terminals");
    assertThat(Config.load(Map.of(), Map.of(), 8080).orchestration().jwtIssuers()).isEmpty();

    assertThatThrownBy(() -> Config.load(Map.of(Setting.JWT_ISSUER, "https://idp.example.com"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--webui-secret-key or --jwks-url");
  }

  @Test
  void clusterBackendsReadTheirSettingsAndRefuseMalformedOnes() {
    Config config = Config.load(Map.of(Setting.BACKEND, "kubernetes"), Map.of("SANDCASTLE_KUBERNETES_NAMESPACE", "workspaces",
        "SANDCASTLE_KUBERNETES_NODE_SELECTOR", "pool=sandboxes, zone=a", "SANDCASTLE_KUBERNETES_TOLERATIONS", "sandbox=true:NoSchedule,gpu:NoExecute",
        "SANDCASTLE_KUBERNETES_RUNTIME_CLASS", "gvisor"), 8080);
    assertThat(config.orchestration().backend()).isEqualTo("kubernetes");
    Config.Cluster cluster = config.orchestration().cluster();
    assertThat(cluster.image()).isEqualTo("sandcastle/sandbox:latest");
    assertThat(cluster.namespace()).isEqualTo("workspaces");
    assertThat(cluster.nodeSelector()).containsEntry("pool", "sandboxes").containsEntry("zone", "a");
    assertThat(cluster.tolerations()).containsExactly("sandbox=true:NoSchedule", "gpu:NoExecute");
    assertThat(cluster.runtimeClass()).isEqualTo("gvisor");
    assertThat(Config.load(Map.of(Setting.BACKEND, "operator"), Map.of(), 8080).orchestration().backend()).isEqualTo("operator");

    assertThatThrownBy(() -> Config.load(Map.of(Setting.KUBERNETES_TOLERATIONS, "sandbox=true"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("key[=value]:Effect");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.KUBERNETES_NAMESPACE, "Not_A_Label"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("DNS label");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.KUBERNETES_POD_TEMPLATE, dir.resolve("missing.yaml").toString()), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("cannot read");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.BACKEND, "nomad"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("local, docker, static, kubernetes or operator");
  }

  @Test
  void theDockerBackendReadsItsSettingsAndRefusesMalformedOnes() {
    Config config = Config.load(Map.of(Setting.BACKEND, "docker", Setting.DOCKER_RUNTIME, "runsc"),
        Map.of("DOCKER_HOST", "tcp://10.0.0.9:2375"), 8080);
    assertThat(config.orchestration().backend()).isEqualTo("docker");
    assertThat(config.orchestration().docker()).isEqualTo(new Config.Docker("tcp://10.0.0.9:2375", "runsc", "sandcastle"));
    assertThat(config.orchestration().cluster().image()).isEqualTo(dev.sandcastle.app.image.ImageBuilder.DEFAULT_TAG);
    assertThatThrownBy(() -> Config.load(Map.of(Setting.DOCKER_HOST, "/var/run/docker.sock"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("unix:///path/to/docker.sock or tcp://host:port");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.DOCKER_NETWORK, "host net"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--docker-network");
  }

  @Test
  void allowedRuntimesAreACommaSeparatedListOfRuntimeNames() {
    assertThat(Config.load(Map.of(), Map.of(), 8080).orchestration().allowedRuntimes()).isEmpty();
    assertThat(Config.load(Map.of(), Map.of("SANDCASTLE_ALLOWED_RUNTIMES", " runsc, kata-qemu,,gvisor "), 8080).orchestration()
        .allowedRuntimes()).containsExactlyInAnyOrder("runsc", "kata-qemu", "gvisor");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.ALLOWED_RUNTIMES, "runsc,--privileged"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--allowed-runtimes").hasMessageContaining("'--privileged'");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.ALLOWED_RUNTIMES, "RunSC"), Map.of(), 8080))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("lower-case");
  }

  @Test
  void upstreamVariableNamesWork() {
    Config config = Config.load(Map.of(), Map.of("OPEN_TERMINAL_API_KEY", "upstream-key-123"), 8000);
    assertThat(config.apiKey()).contains("upstream-key-123");
  }

  @Test
  void badValuesFailWithAClearMessage() {
    assertThatThrownBy(() -> Config.load(Map.of(Setting.SANDBOX, "docker"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--sandbox").hasMessageContaining("bwrap");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.MEMORY, "lots"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--memory");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.PORT, "70000"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("65535");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.MEMORY, "1m"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("16 MiB");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.TRUSTED_PROXIES, "10.0.0.0/8, nginx"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--trusted-proxies").hasMessageContaining("'nginx'");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.AUDIT_RETENTION_DAYS, "-1"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--audit-retention-days");
    assertThat(Config.load(Map.of(Setting.AUDIT_RETENTION_DAYS, "90"), Map.of(), 8000).orchestration().auditRetention())
        .isEqualTo(java.time.Duration.ofDays(90));
  }

  @Test
  void unknownOptionsInTheFileAreRefused() throws Exception {
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "prot=9001\n");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.CONFIG, file.toString()), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("prot");
  }

  @Test
  void terminalSettingsHaveUpstreamDefaultsAndNames() {
    Config defaults = Config.load(Map.of(), Map.of(), 8000);
    assertThat(defaults.terminals().maxSessions()).isEqualTo(16);
    assertThat(defaults.terminals().grace()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(defaults.terminals().scrollbackBytes()).isEqualTo(256 << 10);
    Config tuned = Config.load(Map.of(Setting.TERMINAL_SCROLLBACK, "1m"),
        Map.of("OPEN_TERMINAL_MAX_SESSIONS", "4", "SANDCASTLE_TERMINAL_GRACE", "30"), 8000);
    assertThat(tuned.terminals().maxSessions()).isEqualTo(4);
    assertThat(tuned.terminals().grace()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(tuned.terminals().scrollbackBytes()).isEqualTo(1 << 20);
    assertThatThrownBy(() -> Config.load(Map.of(Setting.TERMINAL_SCROLLBACK, "1g"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--terminal-scrollback");
    assertThatThrownBy(() -> Config.load(Map.of(Setting.MAX_TERMINALS, "0"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("--max-terminals");
  }

  @Test
  void aGeneratedKeyIsStoredPrivatelyAndReused() throws Exception {
    Config config = Config.load(Map.of(Setting.DATA_DIR, dir.toString()), Map.of(), 8000);
    var printed = new java.io.StringWriter();
    String key = ApiKeys.resolve(config, new java.io.PrintWriter(printed));
    assertThat(printed.toString()).as("only where it is: printed output ends up in logs")
        .contains(dir.resolve("api-key").toString()).doesNotContain(key);
    assertThat(Files.getPosixFilePermissions(dir.resolve("api-key"))).hasSize(2);
    var again = new java.io.StringWriter();
    assertThat(ApiKeys.resolve(config, new java.io.PrintWriter(again))).isEqualTo(key);
    assertThat(again.toString()).isEmpty();
  }

  @Test
  void aGeneratedKeyIsShownOnceWhenAsked() {
    Config config = Config.load(Map.of(Setting.DATA_DIR, dir.toString(), Setting.GENERATE_API_KEY, "show"), Map.of(), 8000);
    var printed = new java.io.StringWriter();
    String key = ApiKeys.resolve(config, new java.io.PrintWriter(printed));
    assertThat(printed.toString()).contains(key);
    var again = new java.io.StringWriter();
    ApiKeys.resolve(config, new java.io.PrintWriter(again));
    assertThat(again.toString()).isEmpty();
    assertThatThrownBy(() -> Config.load(Map.of(Setting.GENERATE_API_KEY, "maybe"), Map.of(), 8000))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("true, show or false");
  }

  @Test
  void refusesToStartWithoutAKeyWhenGenerationIsOff() {
    Config config = Config.load(Map.of(Setting.DATA_DIR, dir.toString(), Setting.GENERATE_API_KEY, "false"), Map.of(), 8000);
    assertThatThrownBy(() -> ApiKeys.resolve(config, new java.io.PrintWriter(new java.io.StringWriter())))
        .isInstanceOf(Config.Invalid.class).hasMessageContaining("OPEN_TERMINAL_API_KEY");
  }
}
