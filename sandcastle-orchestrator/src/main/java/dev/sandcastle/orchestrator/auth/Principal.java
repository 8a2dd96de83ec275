package dev.sandcastle.orchestrator.auth;

import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.util.Optional;

/**
 * Who made a request, as {@link Authenticator} proved it. Immutable and safe to share between
 * threads. A user id here follows the rules of {@link TenantKey#userId()} (1-256 characters, no
 * control characters); constructing one that breaks them fails with
 * {@link dev.sandcastle.core.errors.BadRequest}.
 */
public sealed interface Principal {

  /** The user the request acts for; empty only for {@link Admin}. */
  Optional<String> userId();

  /** Whether this principal may use the admin endpoints. */
  boolean isAdmin();

  /** The orchestrator's admin key without {@code X-User-Id}: an administrator acting for nobody. */
  record Admin() implements Principal {
    @Override
    public Optional<String> userId() {
      return Optional.empty();
    }

    @Override
    public boolean isAdmin() {
      return true;
    }
  }

  /**
   * The admin key with {@code X-User-Id}: a trusted service (Open WebUI) acting for that user.
   *
   * @param user the user from {@code X-User-Id}
   */
  record Service(String user) implements Principal {
    public Service {
      checkUser(user);
    }

    @Override
    public Optional<String> userId() {
      return Optional.of(user);
    }

    @Override
    public boolean isAdmin() {
      return true;
    }
  }

  /**
   * A user who presented a token that verified (locally or by Open WebUI).
   *
   * @param user the user the token names
   * @param admin whether the token (or Open WebUI) gives the user the {@code admin} role
   */
  record User(String user, boolean admin) implements Principal {
    public User {
      checkUser(user);
    }

    @Override
    public Optional<String> userId() {
      return Optional.of(user);
    }

    @Override
    public boolean isAdmin() {
      return admin;
    }
  }

  private static void checkUser(String user) {
    // One set of rules for user ids: the tenant key's.
    new TenantKey(user, TenantKey.DEFAULT_POLICY, TenantKey.DEFAULT_CONTEXT);
  }
}
