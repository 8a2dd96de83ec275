package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Gives what the server creates to the workspace owner. The chown goes through the held parent
 * directory with NOFOLLOW_LINKS (the JDK opens the name with O_NOFOLLOW and calls fchown on that
 * descriptor), so a name swapped for a symbolic link fails instead of chowning the link's target.
 *
 * <p>Not needed when operations run as the owner ({@link AsOwner}): then {@link #AS_CREATED}
 * leaves files with the owner the kernel gave them.
 */
final class Ownership {
  private static final ConcurrentMap<Owner, Ownership> CACHE = new ConcurrentHashMap<>();
  private static final Ownership NONE = new Ownership(Optional.empty(), Optional.empty(), true);

  /** Never chowns: for operations that run with the owner's own rights. */
  static final Ownership AS_CREATED = new Ownership(Optional.empty(), Optional.empty(), false);

  private final Optional<UserPrincipal> user;
  private final Optional<GroupPrincipal> group;
  private final boolean keepPrevious;

  private Ownership(Optional<UserPrincipal> user, Optional<GroupPrincipal> group, boolean keepPrevious) {
    this.user = user;
    this.group = group;
    this.keepPrevious = keepPrevious;
  }

  static Ownership of(Owner owner) {
    return owner.isNone() ? NONE : CACHE.computeIfAbsent(owner, Ownership::resolve);
  }

  /**
   * Turns numeric ids into principals without a name lookup (a user could be named "1000"): chown
   * a private probe file to the ids and read the principals back. Needs root unless the ids are
   * the server's own, which is exactly the check we want at start-up.
   */
  private static Ownership resolve(Owner owner) {
    Path probe = null;
    try {
      probe = Files.createTempFile("sandcastle-owner-", ".probe");
      Files.setAttribute(probe, "unix:uid", owner.uid(), NOFOLLOW_LINKS);
      Files.setAttribute(probe, "unix:gid", owner.gid(), NOFOLLOW_LINKS);
      PosixFileAttributes attributes =
          Files.readAttributes(probe, PosixFileAttributes.class, NOFOLLOW_LINKS);
      return new Ownership(Optional.of(attributes.owner()), Optional.of(attributes.group()), true);
    } catch (IOException | UnsupportedOperationException e) {
      throw new IllegalStateException(
          "Cannot give files to "
              + owner.uid()
              + ":"
              + owner.gid()
              + " (the server must run as root to set a workspace owner)",
          e);
    } finally {
      if (probe != null) {
        try {
          Files.deleteIfExists(probe);
        } catch (IOException ignored) {
          // a leftover empty probe file in the temp directory is harmless
        }
      }
    }
  }

  /**
   * Sets the owner of {@code name} in {@code dir}: the workspace owner when there is one, else
   * the previous owner of a file being replaced (so an edit does not hand a file to root), else
   * nothing. {@link #AS_CREATED} does nothing.
   */
  void apply(
      SecureDirectoryStream<Path> dir, String name, Optional<PosixFileAttributes> previous)
      throws IOException {
    if (!keepPrevious && user.isEmpty()) {
      return;
    }
    Optional<UserPrincipal> u = user.isPresent() ? user : previous.map(PosixFileAttributes::owner);
    Optional<GroupPrincipal> g =
        group.isPresent() ? group : previous.map(PosixFileAttributes::group);
    if (u.isEmpty() && g.isEmpty()) {
      return;
    }
    PosixFileAttributeView view =
        dir.getFileAttributeView(
            SecureTree.leaf(name), PosixFileAttributeView.class, NOFOLLOW_LINKS);
    if (u.isPresent()) {
      view.setOwner(u.get());
    }
    if (g.isPresent()) {
      view.setGroup(g.get());
    }
  }

  void apply(SecureDirectoryStream<Path> dir, String name) throws IOException {
    apply(dir, name, Optional.empty());
  }
}
