package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.nio.file.Path;

/**
 * The orchestrator's accounts: no entry in /etc/passwd, just a uid of its own per tenant,
 * {@code base + slot} (the local backend gives every tenant a slot of its own), and a home under
 * the data directory. The sandbox shows the uid under the name {@code user}.
 */
public final class UidRange implements Accounts {
  private final int base;
  private final Path homes;

  /**
   * @param base the first uid; far above the system's and login users' ranges (e.g. 200000)
   * @param homes the directory that holds one home per tenant
   */
  public UidRange(int base, Path homes) {
    if (base < 65_536) {
      throw new IllegalArgumentException("tenant uids must start above 65535, clear of system and login users");
    }
    this.base = base;
    this.homes = homes;
  }

  @Override
  public Account accountFor(TenantKey key, long slot) {
    long uid = base + slot;
    if (slot <= 0 || uid > Integer.MAX_VALUE - 1) {
      throw new IllegalStateException("slot " + slot + " is outside the uid range");
    }
    return new Account("user", (int) uid, (int) uid, homes.resolve("t" + slot));
  }
}
