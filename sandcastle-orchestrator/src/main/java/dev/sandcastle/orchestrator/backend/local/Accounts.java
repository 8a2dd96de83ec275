package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.orchestrator.tenant.TenantKey;

/**
 * Which Linux account a tenant's workspace runs as, in the multi-user mode of a local workspace
 * host (one machine or container, many users, each confined to an account of their own).
 */
public interface Accounts {
  /**
   * The account for a tenant, made on first use if the implementation makes accounts.
   *
   * <p>Called on a virtual thread; may block (it may run system tools). Must be idempotent and
   * stable across restarts: the same tenant always gets the same account, also in a new process,
   * and two concurrent first calls for one tenant get one account. Implementations may give
   * several tenants one account (e.g. one per user, shared by all their contexts).
   *
   * @param tenantNumber the tenant's stable number in the orchestrator's state
   * @throws dev.sandcastle.core.errors.BadRequest if no account can safely be made for this tenant
   * @throws dev.sandcastle.core.errors.Unavailable if the account cannot be looked up or made now
   */
  Account accountFor(TenantKey key, long tenantNumber);

  /**
   * Whether one account (and its home) serves all of a user's tenants. Then resetting one tenant
   * must not wipe a home another running tenant uses, and deleting one keeps the home.
   */
  default boolean sharedByUser() {
    return false;
  }
}
