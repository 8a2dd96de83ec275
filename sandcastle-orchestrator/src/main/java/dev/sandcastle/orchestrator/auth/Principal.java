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
  default Optional<String> userId() {
    return switch (this) {
      case Admin _ -> Optional.empty();
      case Service service -> Optional.of(service.user());
      case User user -> Optional.of(user.user());
    };
  }

  /** Whether this principal may use the admin endpoints: the admin key, or a user with the admin role. */
  default boolean isAdmin() {
    return switch (this) {
      case Admin _, Service _ -> true;
      case User user -> user.admin();
    };
  }

  /** The orchestrator's admin key without {@code X-User-Id}: an administrator acting for nobody. */
  record Admin() implements Principal {}

  /**
   * The admin key with {@code X-User-Id}: a trusted service (Open WebUI) acting for that user.
   *
   * @param user the user from {@code X-User-Id}
   */
  record Service(String user) implements Principal {
    public Service {
      checkUser(user);
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
  }

  private static void checkUser(String user) {
    // One set of rules for user ids: the tenant key's.
    new TenantKey(user, TenantKey.DEFAULT_POLICY, TenantKey.DEFAULT_CONTEXT);
  }
}
