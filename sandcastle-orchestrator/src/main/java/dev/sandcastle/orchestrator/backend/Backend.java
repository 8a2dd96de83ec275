package dev.sandcastle.orchestrator.backend;

import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import java.util.Map;
import java.util.Set;

/**
 * Provisions tenants' workspaces by some mechanism: in this JVM ({@code local}), a fixed server
 * ({@code static}), and in later issues containers and pods. Backends never touch the database;
 * {@code TenantService} records what they report.
 *
 * <p>Contract: every method blocks until done and is called on a virtual thread; the tenant
 * service calls at most one of {@link #start}, {@link #stop}, {@link #reset}, {@link #destroy}
 * at a time for a tenant, but calls for different tenants run concurrently. Failures are
 * unchecked exceptions ({@link dev.sandcastle.core.errors.Unavailable} when the instance cannot be
 * reached or started). Everything a backend creates must carry (or be recorded under) the
 * tenant's id, so that {@link #reconcile} can tell its own leftovers apart.
 */
public interface Backend extends AutoCloseable {
  /** The name used in configuration and recorded with each tenant. */
  String name();

  /** Starts the tenant's workspace (or adopts the one already running) and returns it, ready for requests. */
  Instance start(Tenant tenant, Policy policy);

  /** Stops every process of the tenant's workspace; its files stay. Idempotent. */
  void stop(Tenant tenant);

  /** Wipes the tenant's files. Called with the workspace stopped. */
  void reset(Tenant tenant);

  /** Removes everything the tenant has (processes, files, keys). Idempotent. */
  void destroy(Tenant tenant);

  /**
   * Called once at start-up with every tenant the database knows (id to tenant): reaps what no
   * known tenant owns and returns the instances that are still running for known tenants
   * (adopted as they are).
   */
  Map<String, Instance> reconcile(Map<String, Tenant> known);

  /** Whether a policy's storage limit holds on this backend's homes. */
  enum StorageLimits {
    /** Homes are capped at the policy's storage. */
    ENFORCED,
    /** Homes can grow until the disk is full (the log said why). */
    NOT_ENFORCED,
    /** Up to something this backend cannot see (a cluster's storage class, an upstream server), or not known yet. */
    UNKNOWN;

    /** The name in the admin API's status. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether the policies' storage limits hold here; for the admin status. */
  default StorageLimits storageLimits() {
    return StorageLimits.UNKNOWN;
  }

  /**
   * How much of a tenant's home is used, where this backend measures it.
   *
   * @param usedBytes what its files take
   * @param limitBytes what they may take (its file system's size: a little below the policy's storage)
   */
  record DiskUsage(long usedBytes, long limitBytes) {}

  /**
   * The disk use of tenants' homes, by tenant id, as far as this backend knows it (the local
   * backend with storage limits: measured now for running tenants, at their last stop for the
   * others); none by default. Cheap: called for every admin listing.
   */
  default Map<String, DiskUsage> diskUsage() {
    return Map.of();
  }

  /** The ids of tenants whose workspaces this backend currently runs. */
  Set<String> running();

  /** Stops every workspace this backend runs in-process (remote instances keep running). */
  @Override
  void close();
}
