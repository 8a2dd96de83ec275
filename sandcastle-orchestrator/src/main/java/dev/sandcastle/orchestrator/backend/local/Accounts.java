package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.orchestrator.tenant.TenantKey;

/**
 * Gives each tenant of the local backend its own Linux identity. Called on a virtual thread; may
 * block; must be idempotent and stable across restarts (the same tenant always gets the same uid).
 */
public interface Accounts {
  Account accountFor(TenantKey key, long tenantNumber);
}
