package dev.sandcastle.orchestrator.crypto;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.tenant.TenantRepository;

/**
 * Re-encrypts the secrets stored in the database with a key ring's active key, after
 * {@link KeyRing#rotate} (or after a new {@code SANDCASTLE_MASTER_KEY}), so the old keys can be
 * retired. Runs on the caller's thread in one transaction: either every ciphertext is rewritten or
 * (on any failure) none is.
 */
public final class KeyRotation {
  private KeyRotation() {}

  /**
   * Re-encrypts every tenant's workspace API key that is not yet under the active key.
   *
   * @return how many ciphertexts were rewritten
   * @throws Unavailable when a stored ciphertext cannot be decrypted with any key of the ring
   *     (then nothing was changed)
   */
  public static int reencryptTenantApiKeys(TenantRepository tenants, KeyRing ring) {
    return tenants.rewriteApiKeyCiphertexts(
        (tenantId, ciphertext) -> ring.reencrypt(ciphertext, TenantRepository.apiKeyAssociatedData(tenantId)));
  }
}
