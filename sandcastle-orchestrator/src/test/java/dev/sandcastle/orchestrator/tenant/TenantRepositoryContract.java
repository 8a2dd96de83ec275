package dev.sandcastle.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

abstract class TenantRepositoryContract extends DatabaseContract {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  TenantRepository tenants;

  @BeforeEach
  void repository() {
    tenants = new TenantRepository(db);
  }

  @Test
  void aNewTenantIsProvisioningWithAnIdAndAPositiveNumber() {
    TenantKey key = new TenantKey("alice", "default", "");

    Tenant tenant = tenants.insert(key, "local", T0);

    assertThat(tenant.id()).hasSize(36);
    assertThat(tenant.number()).isPositive();
    assertThat(tenant.key()).isEqualTo(new TenantKey("alice", "default", "default"));
    assertThat(tenant.backend()).isEqualTo("local");
    assertThat(tenant.status()).isEqualTo(TenantStatus.PROVISIONING);
    assertThat(tenant.instanceId()).isEmpty();
    assertThat(tenant.port()).isZero();
    assertThat(tenant.apiKeyCiphertext()).isEmpty();
    assertThat(List.of(tenant.createdAt(), tenant.updatedAt(), tenant.lastAccessedAt())).containsOnly(T0);
    assertThat(tenants.find(key)).contains(tenant);
    assertThat(tenants.findById(tenant.id())).contains(tenant);
  }

  @Test
  void eachKeyGetsItsOwnTenantAndNumber() {
    Tenant a = tenants.insert(new TenantKey("alice", "default", "default"), "local", T0);
    Tenant b = tenants.insert(new TenantKey("alice", "default", "project-2"), "local", T0);
    Tenant c = tenants.insert(new TenantKey("alice", "gpu", "default"), "docker", T0);
    Tenant d = tenants.insert(new TenantKey("bob", "default", "default"), "local", T0);

    assertThat(tenants.list()).containsExactly(a, b, c, d);
    assertThat(Set.of(a.number(), b.number(), c.number(), d.number())).hasSize(4);
    assertThat(tenants.find(new TenantKey("carol", "default", "default"))).isEmpty();
    assertThat(tenants.findById("no-such-id")).isEmpty();
  }

  @Test
  void insertingAnExistingKeyReturnsTheExistingTenant() {
    TenantKey key = new TenantKey("alice", "default", "default");
    Tenant first = tenants.insert(key, "local", T0);

    Tenant second = tenants.insert(key, "docker", T0.plusSeconds(5));

    assertThat(second).isEqualTo(first);
    assertThat(tenants.list()).hasSize(1);
  }

  @Test
  void concurrentFirstRequestsCreateOneTenant() throws Exception {
    TenantKey key = new TenantKey("racer", "default", "default");
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Tenant>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return tenants.insert(key, "local", T0);
        }));
      }
      start.countDown();
      Set<String> ids = new HashSet<>();
      for (Future<Tenant> result : results) {
        ids.add(result.get().id());
      }
      assertThat(ids).hasSize(1);
    }
    assertThat(tenants.list()).hasSize(1);
  }

  @Test
  void updateWritesEveryMutableField() {
    Tenant created = tenants.insert(new TenantKey("alice", "default", "default"), "local", T0);
    Instant later = T0.plusSeconds(60);

    Tenant running = created.withInstance("c-123", "sandcastle-alice", "10.0.0.7", 8000, "v1.k.ciphertext", later)
        .withStatus(TenantStatus.RUNNING, later);
    assertThat(tenants.update(running)).isTrue();

    assertThat(tenants.findById(created.id())).contains(running);
    Tenant stored = tenants.findById(created.id()).orElseThrow();
    assertThat(stored.createdAt()).isEqualTo(T0);
    assertThat(stored.updatedAt()).isEqualTo(later);
    assertThat(stored.number()).isEqualTo(created.number());
  }

  @Test
  void updatingADeletedTenantReportsIt() {
    Tenant created = tenants.insert(new TenantKey("alice", "default", "default"), "local", T0);
    assertThat(tenants.delete(created.id())).isTrue();

    assertThat(tenants.update(created.withStatus(TenantStatus.STOPPED, T0))).isFalse();
    assertThat(tenants.delete(created.id())).isFalse();
    assertThat(tenants.findById(created.id())).isEmpty();
  }

  @Test
  void touchMovesLastAccessForwardOnlyAndSkipsUnknownIds() {
    Tenant a = tenants.insert(new TenantKey("alice", "default", "default"), "local", T0);
    Tenant b = tenants.insert(new TenantKey("bob", "default", "default"), "local", T0.plusSeconds(100));

    tenants.touch(Map.of(a.id(), T0.plusSeconds(50), b.id(), T0.plusSeconds(10), "unknown", T0));

    assertThat(tenants.findById(a.id()).orElseThrow().lastAccessedAt()).isEqualTo(T0.plusSeconds(50));
    assertThat(tenants.findById(b.id()).orElseThrow().lastAccessedAt()).isEqualTo(T0.plusSeconds(100));
    assertThat(tenants.findById(a.id()).orElseThrow().updatedAt()).isEqualTo(T0);
    tenants.touch(Map.of());
  }

  @Test
  void aDeletedTenantsNumberIsNotHandedOutAgain() {
    TenantKey key = new TenantKey("alice", "default", "default");
    Tenant first = tenants.insert(key, "local", T0);
    tenants.delete(first.id());

    Tenant again = tenants.insert(key, "local", T0);

    assertThat(again.id()).isNotEqualTo(first.id());
    assertThat(again.number()).isGreaterThan(first.number());
  }

  @Test
  void longUnicodeKeysRoundTrip() {
    TenantKey key = new TenantKey("ü".repeat(256), "p.o-l_i", "Ω".repeat(256));

    Tenant tenant = tenants.insert(key, "local", T0);

    assertThat(tenants.find(key)).contains(tenant);
    assertThat(tenant.key()).isEqualTo(key);
  }
}
