package dev.sandcastle.orchestrator.account;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A local account: who may sign in with an email and password. Immutable. The password hash is
 * never part of it.
 *
 * @param id the account's id (a UUID), also the user id of its workspaces and its tokens
 * @param email lower-cased
 * @param name the name to show
 * @param role {@link Role#ADMIN} for the first account, {@link Role#USER} for the others
 * @param createdAt when it was created
 */
public record Account(String id, String email, String name, Role role, Instant createdAt) {

  /** What an account may do: admins use the admin API too. */
  public enum Role {
    ADMIN,
    USER;

    /** The name stored and sent: {@code admin} or {@code user}. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Role of(String wire) {
      return valueOf(wire.toUpperCase(Locale.ROOT));
    }
  }

  public Account {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Whether this account is an administrator. */
  public boolean admin() {
    return role == Role.ADMIN;
  }
}
