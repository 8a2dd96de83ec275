package dev.sandcastle.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.TestClock;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.audit.AuditQuery;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.crypto.KeyRing;
import dev.sandcastle.orchestrator.db.Database;
import dev.sandcastle.orchestrator.db.TestDatabase;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.policy.PolicyRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tenant lifecycle on a clock the test turns: idle stops, scheduled resets, limits, errors. */
class TenantServiceTest {
  @TempDir Path dir;
  TestDatabase testDatabase;
  Database database;
  AuditLog audit;
  FakeBackend backend = new FakeBackend();
  TestClock clock = new TestClock(Instant.parse("2026-03-28T12:00:00Z"));
  Policies policies;
  TenantService tenants;

  @BeforeEach
  void start() {
    testDatabase = TestDatabase.h2();
    database = testDatabase.open();
    audit = AuditLog.open(database);
    Policy maxima = new Policy("default", "", Map.of(), 2, 1L << 30, 1L << 30, 100, Duration.ofMinutes(10), "none", "", "UTC");
    policies = new Policies(new PolicyRepository(database), maxima, Set.of());
    tenants = new TenantService(new TenantRepository(database), policies, backend, KeyRing.load(Optional.empty(), dir.resolve("key")),
        audit, new SimpleMeterRegistry(), clock, 3);
    tenants.start(Duration.ofHours(1)); // the test sweeps by hand
  }

  @AfterEach
  void stop() throws Exception {
    tenants.close();
    audit.close();
    database.close();
    testDatabase.close();
  }

  @Test
  void anIdleTenantIsStoppedAndTheNextRequestStartsItAgain() {
    TenantKey key = new TenantKey("ann", null, null);
    tenants.acquire(key, Caller.SYSTEM);
    clock.advance(Duration.ofMinutes(9));
    tenants.sweep();
    assertThat(backend.stops).isEmpty();
    clock.advance(Duration.ofMinutes(2));
    tenants.sweep();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.stops.size() == 1);
    assertThat(tenants.find(key).orElseThrow().status()).isEqualTo(TenantStatus.STOPPED);
    tenants.acquire(key, Caller.SYSTEM);
    assertThat(backend.starts).hasSize(2);
    audit.flush();
    assertThat(audit.count(AuditQuery.all().action("idle_cleanup"))).isEqualTo(1);
  }

  @Test
  void aTenantWithARequestInFlightOrAnOpenSocketIsNotIdle() {
    TenantKey key = new TenantKey("ben", null, null);
    tenants.acquire(key, Caller.SYSTEM);
    tenants.requestStarted(key);
    clock.advance(Duration.ofHours(1));
    tenants.sweep();
    tenants.requestFinished(key);
    tenants.socketOpened(key);
    clock.advance(Duration.ofHours(1));
    tenants.sweep();
    assertThat(backend.stops).isEmpty();
    tenants.socketClosed(key);
    clock.advance(Duration.ofHours(1));
    tenants.sweep();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.stops.size() == 1);
  }

  @Test
  void aScheduledResetWipesTheWorkspaceAtTheCronTimeInItsZone() {
    policies.save(new Policy("nightly", "", Map.of(), 1, 1L << 30, 1L << 30, 100, Duration.ofDays(1), "none", "0 3 * * *", "Europe/Berlin"));
    TenantKey key = new TenantKey("cat", "nightly", null);
    tenants.acquire(key, Caller.SYSTEM);
    tenants.requestStarted(key); // busy all along: no idle stop gets in the way
    tenants.sweep(); // computes the next reset: 03:00 Berlin on the 29th (01:00 UTC: summer time starts that night)
    clock.set(Instant.parse("2026-03-29T00:59:00Z"));
    tenants.sweep();
    assertThat(backend.resets).isEmpty();
    clock.set(Instant.parse("2026-03-29T01:00:30Z"));
    tenants.sweep();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.resets.size() == 1);
    audit.flush();
    assertThat(audit.count(AuditQuery.all().action("tenant_reset"))).isEqualTo(1);
    // and not again until the next night
    clock.advance(Duration.ofHours(1));
    tenants.sweep();
    tenants.sweep();
    assertThat(backend.resets).hasSize(1);
  }

  @Test
  void aUserHasAtMostTheConfiguredNumberOfWorkspaces() {
    for (int i = 0; i < 3; i++) {
      tenants.acquire(new TenantKey("dan", null, "c" + i), Caller.SYSTEM);
    }
    assertThatThrownBy(() -> tenants.acquire(new TenantKey("dan", null, "c3"), Caller.SYSTEM)).isInstanceOf(QuotaExceeded.class);
    tenants.acquire(new TenantKey("eve", null, "c3"), Caller.SYSTEM); // others are not affected
  }

  @Test
  void aFailedStartIsRecordedAndTheNextSuccessIsAReprovisioning() {
    TenantKey key = new TenantKey("fay", null, null);
    backend.failNext = true;
    assertThatThrownBy(() -> tenants.acquire(key, Caller.SYSTEM)).isInstanceOf(Unavailable.class);
    assertThat(tenants.find(key).orElseThrow().status()).isEqualTo(TenantStatus.ERROR);
    tenants.acquire(key, Caller.SYSTEM);
    assertThat(tenants.find(key).orElseThrow().status()).isEqualTo(TenantStatus.RUNNING);
    audit.flush();
    assertThat(audit.count(AuditQuery.all().action("tenant_reprovisioned"))).isEqualTo(1);
  }

  @Test
  void aDeletedTenantIsGoneAndARequestAfterwardsMakesAFreshOne() {
    TenantKey key = new TenantKey("gus", null, null);
    String first = tenants.provision(key, Caller.SYSTEM).id();
    tenants.delete(first, Caller.SYSTEM);
    assertThat(backend.destroyed).containsExactly(first);
    String second = tenants.provision(key, Caller.SYSTEM).id();
    assertThat(second).isNotEqualTo(first);
  }

  /** Records what it is asked to do; "starts" a remote instance. */
  static final class FakeBackend implements Backend {
    final List<String> starts = new CopyOnWriteArrayList<>();
    final List<String> stops = new CopyOnWriteArrayList<>();
    final List<String> resets = new CopyOnWriteArrayList<>();
    final List<String> destroyed = new CopyOnWriteArrayList<>();
    final Set<String> running = ConcurrentHashMap.newKeySet();
    volatile boolean failNext;

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public Instance start(Tenant tenant, Policy policy) {
      if (failNext) {
        failNext = false;
        throw new Unavailable("the fake backend failed on purpose");
      }
      starts.add(tenant.id());
      running.add(tenant.id());
      return new Instance.Remote("i-" + tenant.number(), "fake-" + tenant.number(), URI.create("http://127.0.0.1:1"), "key-" + tenant.number());
    }

    @Override
    public void stop(Tenant tenant) {
      stops.add(tenant.id());
      running.remove(tenant.id());
    }

    @Override
    public void reset(Tenant tenant) {
      resets.add(tenant.id());
    }

    @Override
    public void destroy(Tenant tenant) {
      destroyed.add(tenant.id());
      running.remove(tenant.id());
    }

    @Override
    public Map<String, Instance> reconcile(Map<String, Tenant> known) {
      return Map.of();
    }

    @Override
    public Set<String> running() {
      return Set.copyOf(running);
    }

    @Override
    public void close() {}
  }

}
