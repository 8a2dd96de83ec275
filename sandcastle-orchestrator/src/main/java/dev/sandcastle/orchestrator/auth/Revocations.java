package dev.sandcastle.orchestrator.auth;

import java.time.Instant;
import java.util.Optional;

/**
 * Which of this server's own session tokens have been signed out, so that a token that verifies
 * (signature, issuer, expiry) is still refused. The accounts feature keeps the list; the
 * {@link Authenticator} asks it about every session token, after the token verified and before
 * it is accepted. Other issuers' tokens are never passed here.
 *
 * <p>Contract: called on the request's (virtual) thread, from any number of threads at once;
 * answers from memory, except that it may block briefly on a database query the first time it
 * sees an account. It must not throw for a token it does not know: unknown means not revoked.
 */
@FunctionalInterface
public interface Revocations {
  /** Nothing is ever revoked: for servers without local accounts, and tests. */
  Revocations NONE = (user, tokenId, issuedAt) -> false;

  /**
   * Whether the session token of {@code user} with this {@code jti} and {@code iat} has been
   * revoked, one by one or by signing the account out everywhere.
   *
   * @param user the account the token names
   * @param tokenId the token's {@code jti}; empty for tokens issued before sessions could be revoked
   * @param issuedAt the token's {@code iat}; empty when the token has none
   */
  boolean revoked(String user, Optional<String> tokenId, Optional<Instant> issuedAt);
}
