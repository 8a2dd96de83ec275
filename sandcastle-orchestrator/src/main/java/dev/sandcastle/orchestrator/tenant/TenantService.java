package dev.sandcastle.orchestrator.tenant;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.audit.AuditEvent;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.crypto.KeyRing;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.policy.Policy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenants' lifecycle: provision on first use, touch on every request, stop when idle, resume
 * on the next request, reset on schedule, delete. The database holds the truth that outlives the
 * process; this service holds, per tenant, the running instance, the last access time and a lock
 * that serialises lifecycle steps, so concurrent first requests provision once.
 *
 * <p>The request path ({@link #acquire}) is lock-free for a running tenant: one map lookup and a
 * volatile write. Access times reach the database in batches from the sweeper, which also stops
 * idle workspaces and runs scheduled resets, each teardown on a virtual thread of its own, so one
 * slow teardown never holds up the others.
 */
public final class TenantService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TenantService.class);

  private final TenantRepository repository;
  private final Policies policies;
  private final Backend backend;
  private final KeyRing keys;
  private final AuditLog audit;
  private final Clock clock;
  private final Timer provisioning;
  private final Map<TenantKey, Entry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("tenant-sweeper").daemon().factory());
  private final AtomicInteger sockets = new AtomicInteger();
  private final int maxTenantsPerUser;

  /**
   * @param maxTenantsPerUser how many workspaces (policies times contexts) one user may have; one
   *     more is refused with 429, so a user cannot provision without bound by inventing contexts
   */
  public TenantService(TenantRepository repository, Policies policies, Backend backend, KeyRing keys, AuditLog audit,
      MeterRegistry metrics, Clock clock, int maxTenantsPerUser) {
    this.maxTenantsPerUser = maxTenantsPerUser;
    this.repository = repository;
    this.policies = policies;
    this.backend = backend;
    this.keys = keys;
    this.audit = audit;
    this.clock = clock;
    this.provisioning = Timer.builder("sandcastle.tenant.provisioning")
        .description("time to start a tenant's workspace (new or resumed)")
        .publishPercentileHistogram()
        .register(metrics);
    for (TenantStatus status : TenantStatus.values()) {
      metrics.gauge("sandcastle.tenants", io.micrometer.core.instrument.Tags.of("state", status.wire()), this,
          service -> service.count(status));
    }
    metrics.gauge("sandcastle.websockets.active", sockets);
  }

  /**
   * Reconciles with the backend (adopting instances that still run, reaping what no tenant owns)
   * and starts the sweeper. Call once, before serving requests.
   */
  public void start(Duration sweepInterval) {
    Map<String, Tenant> known = new HashMap<>();
    for (Tenant tenant : repository.list()) {
      known.put(tenant.id(), tenant);
    }
    Map<String, Instance> adopted = backend.reconcile(known);
    Instant now = clock.instant();
    for (Tenant tenant : known.values()) {
      Entry entry = new Entry(tenant);
      Instance instance = adopted.get(tenant.id());
      if (instance != null) {
        entry.instance = instance;
        entry.tenant = tenant.withStatus(TenantStatus.RUNNING, now);
      } else if (tenant.status() != TenantStatus.STOPPED) {
        entry.tenant = tenant.withStatus(TenantStatus.STOPPED, now);
      }
      if (entry.tenant != tenant) {
        repository.update(entry.tenant);
      }
      entry.lastAccess = tenant.lastAccessedAt().toEpochMilli();
      entry.flushedAccess = entry.lastAccess;
      entries.put(tenant.key(), entry);
    }
    log.info("{} tenants known, {} adopted running on the {} backend", known.size(), adopted.size(), backend.name());
    long period = Math.max(10, sweepInterval.toMillis());
    sweeper.scheduleWithFixedDelay(this::sweepQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * The tenant's running instance: provisions the tenant on its first request, resumes it when it
   * was stopped, and records the access. Blocks while provisioning.
   *
   * @throws NotFound when the key names a policy that does not exist
   * @throws Unavailable when the backend cannot start the workspace
   */
  public Instance acquire(TenantKey key, Caller caller) {
    Entry entry = entries.get(key);
    if (entry != null) {
      Instance instance = entry.instance;
      if (instance != null) {
        entry.touch(clock.millis());
        return instance;
      }
    }
    Policy policy = policies.resolve(key.policyId());
    while (true) {
      if (!entries.containsKey(key)) {
        checkQuota(key);
      }
      entry = entries.computeIfAbsent(key, k -> new Entry(null));
      entry.lock.lock();
      try {
        if (entry.deleted) {
          continue; // deleted while we waited for its lock: start over with a fresh tenant
        }
        if (entry.instance == null) {
          if (entry.tenant == null) {
            entry.tenant = repository.find(key).orElseGet(() -> created(key, caller));
          }
          startLocked(entry, policy, caller);
        }
        entry.touch(clock.millis());
        return entry.instance;
      } finally {
        entry.lock.unlock();
      }
    }
  }

  private void checkQuota(TenantKey key) {
    long owned = entries.keySet().stream().filter(k -> k.userId().equals(key.userId())).count();
    if (owned >= maxTenantsPerUser) {
      throw new dev.sandcastle.core.errors.QuotaExceeded("this user already has " + owned
          + " workspaces (the limit); delete one or reuse a context (X-Terminal-Context-Id)");
    }
  }

  private Tenant created(TenantKey key, Caller caller) {
    Tenant tenant = repository.insert(key, backend.name(), clock.instant());
    audit.record(event("tenant_created", tenant, caller).build());
    return tenant;
  }

  private void startLocked(Entry entry, Policy policy, Caller caller) {
    boolean failedBefore = entry.tenant.status() == TenantStatus.ERROR;
    Tenant tenant = entry.tenant.withStatus(TenantStatus.PROVISIONING, clock.instant());
    repository.update(tenant);
    entry.tenant = tenant;
    long started = System.nanoTime();
    Instance instance;
    try {
      instance = backend.start(tenant, policy);
    } catch (RuntimeException e) {
      entry.tenant = tenant.withStatus(TenantStatus.ERROR, clock.instant());
      repository.update(entry.tenant);
      audit.record(event("tenant_started", entry.tenant, caller).severity("warning").status(503)
          .detail(Map.of("error", String.valueOf(e.getMessage()))).build());
      log.warn("tenant {} ({}) failed to start: {}", tenant.id(), tenant.key().userId(), e.toString());
      if (e instanceof SandcastleException known) {
        throw known;
      }
      throw new Unavailable("the workspace could not be started; try again shortly", e);
    }
    provisioning.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    tenant = switch (instance) {
      case Instance.Local local -> tenant.withInstance(local.id(), local.id(), "", 0, "", clock.instant());
      case Instance.Remote remote -> tenant.withInstance(remote.id(), remote.name(), remote.base().getHost(),
          remote.base().getPort(), keys.encrypt(remote.apiKey(), TenantRepository.apiKeyAssociatedData(tenant.id())), clock.instant());
    };
    entry.tenant = tenant.withStatus(TenantStatus.RUNNING, clock.instant());
    repository.update(entry.tenant);
    entry.instance = instance;
    audit.record(event(failedBefore ? "tenant_reprovisioned" : "tenant_started", entry.tenant, caller)
        .detail(Map.of("policy", policy.id(), "millis", (System.nanoTime() - started) / 1_000_000)).build());
  }

  /** Creates (if needed) and starts a tenant, as the admin API's "create". */
  public Tenant provision(TenantKey key, Caller caller) {
    acquire(key, caller);
    return entries.get(key).tenant;
  }

  /** Starts a stopped tenant. */
  public Tenant start(String tenantId, Caller caller) {
    Entry entry = byId(tenantId);
    return provision(entry.tenant.key(), caller);
  }

  /** Stops a tenant's workspace (files stay). */
  public Tenant stop(String tenantId, Caller caller) {
    Entry entry = byId(tenantId);
    entry.lock.lock();
    try {
      stopLocked(entry, caller, "tenant_stopped");
      return entry.tenant;
    } finally {
      entry.lock.unlock();
    }
  }

  private void stopLocked(Entry entry, Caller caller, String action) {
    if (entry.instance == null && entry.tenant.status() == TenantStatus.STOPPED) {
      return;
    }
    try {
      backend.stop(entry.tenant);
    } finally {
      entry.instance = null;
      entry.tenant = entry.tenant.withStatus(TenantStatus.STOPPED, clock.instant());
      repository.update(entry.tenant);
    }
    audit.record(event(action, entry.tenant, caller).build());
    if (!action.equals("tenant_stopped")) {
      audit.record(event("tenant_stopped", entry.tenant, caller).build());
    }
  }

  /** Wipes a tenant's files; it stays stopped until its next request. */
  public Tenant reset(String tenantId, Caller caller) {
    Entry entry = byId(tenantId);
    entry.lock.lock();
    try {
      stopLocked(entry, caller, "tenant_stopped");
      backend.reset(entry.tenant); // stopped first: no process of the tenant can race the deletion
      audit.record(event("tenant_reset", entry.tenant, caller).build());
      return entry.tenant;
    } finally {
      entry.lock.unlock();
    }
  }

  /** Removes a tenant and everything it has. */
  public void delete(String tenantId, Caller caller) {
    Entry entry = byId(tenantId);
    entry.lock.lock();
    try {
      entry.instance = null;
      entry.deleted = true; // a request waiting for this lock starts over instead of reviving it
      backend.destroy(entry.tenant);
      repository.delete(tenantId);
      entries.remove(entry.tenant.key(), entry);
      sockets.addAndGet(-entry.sockets.getAndSet(0));
      audit.record(event("tenant_deleted", entry.tenant, caller).build());
    } finally {
      entry.lock.unlock();
    }
  }

  public Optional<Tenant> find(String tenantId) {
    return entries.values().stream().map(e -> e.tenant).filter(t -> t != null && t.id().equals(tenantId)).findFirst();
  }

  public Optional<Tenant> find(TenantKey key) {
    return Optional.ofNullable(entries.get(key)).map(e -> e.tenant);
  }

  /** Every tenant with its last access time (from memory, fresher than the database's) and its disk use where known. */
  public List<TenantView> list() {
    long now = clock.millis();
    Map<String, Backend.DiskUsage> disks = backend.diskUsage();
    List<TenantView> views = new ArrayList<>();
    for (Entry entry : entries.values()) {
      Tenant tenant = entry.tenant;
      if (tenant != null) {
        views.add(new TenantView(tenant, Instant.ofEpochMilli(entry.lastAccess), Duration.ofMillis(Math.max(0, now - entry.lastAccess)),
            entry.sockets.get(), Optional.ofNullable(disks.get(tenant.id()))));
      }
    }
    views.sort(Comparator.comparing(v -> v.tenant().createdAt()));
    return views;
  }

  /**
   * A tenant as the admin API shows it.
   *
   * @param disk its home's use, where the backend measures it
   */
  public record TenantView(Tenant tenant, Instant lastActive, Duration idle, int sockets, Optional<Backend.DiskUsage> disk) {}

  /**
   * Refuses a storage limit for a policy that is smaller than what one of its tenants' homes
   * already holds (as far as the backend measured it): the home could not shrink, and its
   * workspace would be full at once.
   *
   * @throws dev.sandcastle.core.errors.Conflict naming the tenant and both sizes
   */
  public void checkStorageFits(String policyId, long storageBytes) {
    Map<String, Backend.DiskUsage> disks = backend.diskUsage();
    for (Entry entry : entries.values()) {
      Tenant tenant = entry.tenant;
      Backend.DiskUsage disk = tenant == null ? null : disks.get(tenant.id());
      if (disk != null && tenant.key().policyId().equals(policyId) && disk.usedBytes() > storageBytes) {
        throw new dev.sandcastle.core.errors.Conflict("tenant " + tenant.id() + " (user " + tenant.key().userId() + ") uses "
            + mebibytes(disk.usedBytes()) + " of its home, more than the new storage limit of " + mebibytes(storageBytes)
            + "; delete files there or reset the tenant first");
      }
    }
  }

  private static String mebibytes(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  public long count(TenantStatus status) {
    return entries.values().stream().filter(e -> e.tenant != null && e.tenant.status() == status).count();
  }

  public String backendName() {
    return backend.name();
  }

  /** Whether the backend holds homes to their policy's storage limit. */
  public Backend.StorageLimits storageLimits() {
    return backend.storageLimits();
  }

  /** A WebSocket of the tenant opened: it is busy (never idle-stopped) until the socket closes. */
  public void socketOpened(TenantKey key) {
    Entry entry = entries.get(key);
    if (entry != null) {
      entry.sockets.incrementAndGet();
      sockets.incrementAndGet();
      entry.touch(clock.millis());
    }
  }

  public void socketClosed(TenantKey key) {
    Entry entry = entries.get(key);
    if (entry != null && entry.sockets.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      sockets.decrementAndGet();
      entry.touch(clock.millis());
    }
  }

  /** A request of the tenant is being served: the tenant is busy until {@link #requestFinished}. */
  public void requestStarted(TenantKey key) {
    Entry entry = entries.get(key);
    if (entry != null) {
      entry.requests.incrementAndGet();
    }
  }

  /** A request counted by {@link #requestStarted} is done; its end counts as an access. */
  public void requestFinished(TenantKey key) {
    Entry entry = entries.get(key);
    if (entry != null) {
      entry.requests.updateAndGet(n -> Math.max(0, n - 1));
      entry.touch(clock.millis());
    }
  }

  public int activeSockets() {
    return sockets.get();
  }

  /** One pass of the sweeper: flush access times, stop idle workspaces, run due resets. */
  void sweep() {
    long now = clock.millis();
    Map<String, Instant> touched = new HashMap<>();
    for (Entry entry : entries.values()) {
      Tenant tenant = entry.tenant;
      if (tenant == null) {
        continue;
      }
      long access = entry.lastAccess;
      if (access != entry.flushedAccess) {
        touched.put(tenant.id(), Instant.ofEpochMilli(access));
        entry.flushedAccess = access;
      }
      Policy policy;
      try {
        policy = policies.get(tenant.key().policyId()); // idle and reset rules apply whatever its runtime
      } catch (NotFound e) {
        policy = policies.maxima(); // its policy was deleted: the server's limits apply
      }
      if (entry.instance != null && entry.idle() && now - access > policy.idleTimeout().toMillis()
          && entry.busy.compareAndSet(false, true)) {
        Thread.ofVirtual().name("idle-stop-" + tenant.number()).start(() -> stopIdle(entry));
      }
      if (!policy.resetCron().isEmpty()) {
        scheduleReset(entry, policy, now);
      }
    }
    if (!touched.isEmpty()) {
      repository.touch(touched);
    }
  }

  private void stopIdle(Entry entry) {
    try {
      entry.lock.lock();
      try {
        Policy policy = policies.get(entry.tenant.key().policyId());
        if (entry.instance != null && entry.idle() && clock.millis() - entry.lastAccess > policy.idleTimeout().toMillis()) {
          log.info("tenant {} idle for {}: stopping its workspace", entry.tenant.id(), policy.idleTimeout());
          stopLocked(entry, Caller.SYSTEM, "idle_cleanup");
        }
      } finally {
        entry.lock.unlock();
      }
    } catch (RuntimeException e) {
      log.warn("idle stop of tenant {} failed: {}", entry.tenant.id(), e.toString());
    } finally {
      entry.busy.set(false);
    }
  }

  private void scheduleReset(Entry entry, Policy policy, long now) {
    String schedule = policy.resetCron() + "@" + policy.resetZone();
    if (!schedule.equals(entry.resetSchedule)) {
      entry.resetSchedule = schedule;
      entry.nextReset = CronSchedule.parse(policy.resetCron(), ZoneId.of(policy.resetZone()))
          .next(Instant.ofEpochMilli(now).atZone(ZoneId.of(policy.resetZone())))
          .map(t -> t.toInstant().toEpochMilli()).orElse(Long.MAX_VALUE);
      return;
    }
    if (now >= entry.nextReset && entry.busy.compareAndSet(false, true)) {
      entry.resetSchedule = null; // computes the following one on the next pass
      Thread.ofVirtual().name("reset-" + entry.tenant.number()).start(() -> {
        try {
          reset(entry.tenant.id(), Caller.SYSTEM);
        } catch (RuntimeException e) {
          log.warn("scheduled reset of tenant {} failed: {}", entry.tenant.id(), e.toString());
        } finally {
          entry.busy.set(false);
        }
      });
    }
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.warn("tenant sweep failed: {}", e.toString());
    }
  }

  private Entry byId(String tenantId) {
    for (Entry entry : entries.values()) {
      Tenant tenant = entry.tenant;
      if (tenant != null && tenant.id().equals(tenantId)) {
        return entry;
      }
    }
    throw new NotFound("no tenant with id " + tenantId);
  }

  private static AuditEvent.Builder event(String action, Tenant tenant, Caller caller) {
    return AuditEvent.builder(action)
        .user(caller.userId().isEmpty() ? tenant.key().userId() : caller.userId())
        .request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent())
        .resource("tenant", tenant.id());
  }

  /** Flushes access times and stops the sweeper; the backend is closed by its owner. */
  @Override
  public void close() {
    sweeper.shutdownNow();
    try {
      sweeper.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, Instant> touched = new HashMap<>();
    for (Entry entry : entries.values()) {
      if (entry.tenant != null && entry.lastAccess != entry.flushedAccess) {
        touched.put(entry.tenant.id(), Instant.ofEpochMilli(entry.lastAccess));
      }
    }
    if (!touched.isEmpty()) {
      repository.touch(touched);
    }
  }

  /** In-memory state of one tenant. Fields are written under {@link #lock} (except the access time). */
  private static final class Entry {
    final ReentrantLock lock = new ReentrantLock();
    final AtomicInteger sockets = new AtomicInteger();
    final AtomicBoolean busy = new AtomicBoolean();
    final AtomicInteger requests = new AtomicInteger();
    volatile boolean deleted;
    volatile Tenant tenant;
    volatile Instance instance;
    volatile long lastAccess;
    volatile long flushedAccess;
    volatile String resetSchedule;
    volatile long nextReset = Long.MAX_VALUE;

    Entry(Tenant tenant) {
      this.tenant = tenant;
    }

    /** No socket open and no request in flight: the idle timeout may stop it. */
    boolean idle() {
      return sockets.get() == 0 && requests.get() == 0;
    }

    void touch(long now) {
      if (now > lastAccess) {
        lastAccess = now;
      }
    }
  }
}
