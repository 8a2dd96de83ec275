package dev.sandcastle.orchestrator.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.db.Database;
import dev.sandcastle.orchestrator.db.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runtimes are checked against the server's allow-list, when a policy is saved and when the server starts. */
class PoliciesTest {
  static final Policy MAXIMA = new Policy("default", "", Map.of(), 2, 1L << 30, 1L << 30, 100, Duration.ofMinutes(10), "none", "", "UTC");

  TestDatabase where;
  Database db;
  PolicyRepository repository;

  @BeforeEach
  void open() {
    where = TestDatabase.h2();
    db = where.open();
    repository = new PolicyRepository(db);
  }

  @AfterEach
  void close() {
    db.close();
    where.close();
  }

  static Policy policy(String id, String runtime) {
    return new Policy(id, "", runtime, Map.of(), 1, 1L << 30, 1L << 30, 64, Duration.ofMinutes(5), "none", "", "UTC");
  }

  @Test
  void aPolicyMayNameAnAllowedRuntimeOrNone() {
    Policies policies = new Policies(repository, MAXIMA, Set.of(), Set.of("runsc", "kata"));

    assertThat(policies.save(policy("sandboxed", "runsc")).runtime()).isEqualTo("runsc");
    assertThat(policies.save(policy("plain", "")).runtime()).isEmpty();

    assertThat(policies.resolve("sandboxed").runtime()).isEqualTo("runsc");
    assertThat(repository.find("sandboxed").orElseThrow().runtime()).isEqualTo("runsc");
    assertThat(new Policies(repository, MAXIMA, Set.of(), Set.of("runsc", "kata")).resolve("sandboxed").runtime()).isEqualTo("runsc");
  }

  @Test
  void aRuntimeNotOnTheListIsABadRequestThatNamesTheAllowedOnesAndStoresNothing() {
    Policies policies = new Policies(repository, MAXIMA, Set.of(), Set.of("runsc", "kata"));

    assertThatThrownBy(() -> policies.save(policy("sneaky", "runc"))).isInstanceOf(BadRequest.class)
        .hasMessage("runtime 'runc' is not allowed on this server (allowed: kata, runsc, or empty for the server's default)");

    assertThat(repository.find("sneaky")).isEmpty();
    assertThatThrownBy(() -> policies.resolve("sneaky")).isInstanceOf(dev.sandcastle.core.errors.NotFound.class);
  }

  @Test
  void withNoListAPolicyMayNameNoRuntimeAtAll() {
    Policies policies = new Policies(repository, MAXIMA, Set.of());

    assertThatThrownBy(() -> policies.save(policy("sandboxed", "runsc"))).isInstanceOf(BadRequest.class)
        .hasMessage("runtime 'runsc' is not allowed on this server (it allows only its default runtime)");
    assertThat(policies.save(policy("plain", "")).runtime()).isEmpty();
  }

  @Test
  void aStoredPolicyWhoseRuntimeIsNoLongerAllowedRunsNoTenantButCanBeChanged() {
    new Policies(repository, MAXIMA, Set.of(), Set.of("runsc")).save(policy("sandboxed", "runsc"));

    // Restarted with runsc off the list: its tenants would run under another runtime than the policy says.
    Policies restarted = new Policies(repository, MAXIMA, Set.of(), Set.of("kata"));
    assertThatThrownBy(() -> restarted.resolve("sandboxed")).isInstanceOf(Unavailable.class)
        .hasMessageContaining("the policy 'sandboxed' names the runtime 'runsc', which this server does not allow")
        .hasMessageContaining("--allowed-runtimes");
    assertThat(restarted.list()).extracting(Policy::id).as("the admin still sees it").contains("sandboxed");
    assertThat(restarted.save(policy("sandboxed", "kata")).runtime()).isEqualTo("kata");
    assertThat(restarted.resolve("sandboxed").runtime()).as("changed, it runs again").isEqualTo("kata");
  }
}
