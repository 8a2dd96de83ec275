package dev.sandcastle.orchestrator.account;

import java.time.Instant;
import java.util.Objects;

/**
 * A signed-in session: the bearer token to send and whose it is. Immutable. {@link #toString()}
 * does not show the token.
 *
 * @param token an HS256 JWT the orchestrator accepts until {@code expiresAt}
 * @param expiresAt when the token stops being accepted
 * @param account the account it signs in
 */
public record Session(String token, Instant expiresAt, Account account) {
  public Session {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(account, "account");
  }

  @Override
  public String toString() {
    return "Session[token=***, expiresAt=" + expiresAt + ", account=" + account.id() + "]";
  }
}
