package dev.sandcastle.orchestrator.backend.local;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A Linux account that a user's workspace runs as: its commands, terminals, kernels and file
 * operations get this uid and gid, confined to this home.
 *
 * @param name the login name: 1-32 of {@code [a-z0-9_-]}, starting with a letter or '_'
 * @param uid the numeric user id (never 0)
 * @param gid the numeric id of its primary group (never 0)
 * @param home its home directory, absolute and normalized
 */
public record Account(String name, int uid, int gid, Path home) {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

  public Account {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("an account name is 1-32 of [a-z0-9_-], starting with a letter or '_'");
    }
    if (uid <= 0 || gid <= 0) {
      throw new IllegalArgumentException("an account's uid and gid must be positive (never root's): " + uid + ":" + gid);
    }
    if (home == null || !home.isAbsolute() || !home.normalize().equals(home)) {
      throw new IllegalArgumentException("an account's home must be an absolute, normalized path");
    }
  }
}
