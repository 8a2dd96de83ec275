package dev.sandcastle.orchestrator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

abstract class PolicyRepositoryContract extends DatabaseContract {
  PolicyRepository policies;

  @BeforeEach
  void repository() {
    policies = new PolicyRepository(db);
  }

  static Policy policy(String id, Map<String, String> env) {
    return new Policy(id, "ghcr.io/acme/sandbox:1.2", "runsc", env, 1.5, 2L << 30, 10L << 30, 256, Duration.ofMinutes(30), "host",
        "0 3 * * *", "Europe/Berlin");
  }

  @Test
  void aSavedPolicyReadsBackWithItsEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin");
    env.put("QUOTES", "say \"hi\" \\ and 'bye'");
    env.put("UNICODE", "grüße ✓");
    env.put("EMPTY", "");
    Policy policy = policy("data-science", env);

    policies.save(policy);

    assertThat(policies.find("data-science")).contains(policy);
    assertThat(policies.find("data-science").orElseThrow().env()).isEqualTo(env);
    assertThat(policies.find("data-science").orElseThrow().runtime()).isEqualTo("runsc");
  }

  @Test
  void theRuntimeIsStoredAndAPolicyWithoutOneReadsBackWithout() {
    policies.save(policy("sandboxed", Map.of()));
    policies.save(new Policy("plain", "", Map.of(), 1, 1L << 30, 1L << 30, 64, Duration.ofMinutes(5), "none", "", "UTC"));

    assertThat(policies.find("sandboxed").orElseThrow().runtime()).isEqualTo("runsc");
    assertThat(policies.find("plain").orElseThrow().runtime()).isEmpty();

    // Changing only the runtime replaces it, both ways.
    Policy sandboxed = policies.find("sandboxed").orElseThrow();
    policies.save(new Policy("sandboxed", sandboxed.image(), "kata", sandboxed.env(), sandboxed.cpus(), sandboxed.memoryBytes(),
        sandboxed.storageBytes(), sandboxed.pids(), sandboxed.idleTimeout(), sandboxed.network(), sandboxed.resetCron(), sandboxed.resetZone()));
    assertThat(policies.find("sandboxed").orElseThrow().runtime()).isEqualTo("kata");
    policies.save(new Policy("plain", "", "runsc", Map.of(), 1, 1L << 30, 1L << 30, 64, Duration.ofMinutes(5), "none", "", "UTC"));
    policies.save(new Policy("plain", "", "", Map.of(), 1, 1L << 30, 1L << 30, 64, Duration.ofMinutes(5), "none", "", "UTC"));
    assertThat(policies.find("plain").orElseThrow().runtime()).isEmpty();
  }

  @Test
  void readOnlyPathsAreStoredInOrderAndReplacedByTheNextSave() {
    Policy base = policy("shared-models", Map.of());
    policies.save(base.withReadOnlyPaths(java.util.List.of("/opt/models", "/etc/pip.conf")));
    assertThat(policies.find("shared-models").orElseThrow().readOnlyPaths()).containsExactly("/opt/models", "/etc/pip.conf");

    policies.save(base);
    assertThat(policies.find("shared-models").orElseThrow().readOnlyPaths()).isEmpty();
  }

  @Test
  void aPolicyStoredBeforeRuntimesExistedHasTheServersDefault() {
    // As a row written by a server without the runtime column (the migration's default fills it).
    db.jdbi().useHandle(h -> h.execute("INSERT INTO policies (id, image, env, cpus, memory_bytes, storage_bytes, pids,"
        + " idle_timeout_seconds, network) VALUES ('older', '', '{}', 1.0, 1073741824, 1073741824, 64, 300, 'none')"));

    assertThat(policies.find("older").orElseThrow().runtime()).isEmpty();
    assertThat(policies.find("older").orElseThrow().readOnlyPaths()).isEmpty();
  }

  @Test
  void savingAgainReplacesThePolicy() {
    policies.save(policy("default", Map.of("A", "1")));
    Policy changed = new Policy("default", "", Map.of("B", "2"), 0.5, 1L << 30, 1L << 30, 64, Duration.ofHours(2), "none", "", "UTC");

    policies.save(changed);

    assertThat(policies.find("default")).contains(changed);
    assertThat(policies.list()).containsExactly(changed);
  }

  @Test
  void listIsSortedByIdAndDeleteRemovesOne() {
    policies.save(policy("zeta", Map.of()));
    policies.save(policy("alpha", Map.of()));
    policies.save(policy("mid", Map.of()));

    assertThat(policies.list()).extracting(Policy::id).containsExactly("alpha", "mid", "zeta");
    assertThat(policies.delete("mid")).isTrue();
    assertThat(policies.delete("mid")).isFalse();
    assertThat(policies.list()).extracting(Policy::id).containsExactly("alpha", "zeta");
    assertThat(policies.find("mid")).isEmpty();
  }

  @Test
  void aSubSecondIdleTimeoutRoundsUpToWholeSeconds() {
    Policy policy = new Policy("short", "", Map.of(), 1, 1, 1, 1, Duration.ofMillis(1500), "none", "", "UTC");

    policies.save(policy);

    assertThat(policies.find("short").orElseThrow().idleTimeout()).isEqualTo(Duration.ofSeconds(2));
  }
}
