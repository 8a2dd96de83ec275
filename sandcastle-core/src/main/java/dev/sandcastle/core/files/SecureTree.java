package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.PathOutsideWorkspace;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Confined access to one workspace directory tree that untrusted code changes concurrently.
 *
 * <p><b>The rule.</b> After the root, every name is looked up relative to a directory we hold
 * open (openat-style, through {@link SecureDirectoryStream}), one component at a time, with
 * NOFOLLOW_LINKS. The kernel therefore never follows a symbolic link on our behalf: a link is
 * either handled here (its text resolved against the real directory that holds it, required to
 * stay under home, and the walk restarted; at most {@value #MAX_SYMLINK_HOPS} hops) or, if a name
 * is swapped for a link between our look and our use, the open fails with ELOOP and we look
 * again. {@code ..} pops a held directory, so it means the real parent; popping above the root is
 * {@link PathOutsideWorkspace}.
 *
 * <p><b>Trust.</b> {@code hostRoot} and its ancestors must not be writable by the sandbox (the
 * sandbox sees hostRoot as its home mount point and cannot rename it). Only then is a path of the
 * form {@code hostRoot/<one name>} as safe as a descriptor-relative call: the kernel resolves the
 * trusted prefix, and mkdir never follows a link in its last component.
 *
 * <p><b>Where the JDK lacks an *at call.</b>
 *
 * <ul>
 *   <li>mkdirat: a new directory is made as {@code hostRoot/.sandcastle-<random>.tmp} (one name
 *       below the trusted root, see above), given to the owner through the held root with
 *       NOFOLLOW, then renamed into the held parent with renameat ({@link
 *       SecureDirectoryStream#move}). Nothing is ever created through a path the sandbox can
 *       redirect. If the sandbox tampers with the staging name meanwhile, what gets renamed is
 *       something of its own from inside the workspace, into the workspace: no escape. renameat
 *       refuses to replace anything but an empty directory, so no file or link is clobbered.
 *   <li>readlinkat: the link text is read through the host path of the held directory, which is
 *       path-based. It is accepted only if the held directory (fd-relative lstat) and the host
 *       path (before and after the read) show the very same link inode; otherwise we look again.
 *       Residual risk: a sandbox that swaps an ancestor directory away and back between our
 *       checks (an ABA race) could make us use the text of a link elsewhere on the host as if it
 *       were this link's. That leaks no file content and cannot widen access: the text is then
 *       resolved by this same confined walk, so it can only ever name something inside the
 *       workspace.
 * </ul>
 *
 * <p><b>Residual denial of service.</b> Java cannot open with O_NONBLOCK or O_DIRECTORY. Types are
 * checked with an fd-relative lstat before every open, but a regular file swapped for a FIFO in
 * that window would make the open block until a writer appears. This stalls one request of the
 * workspace that did it; it cannot reach outside.
 */
final class SecureTree {
  static final int MAX_SYMLINK_HOPS = 40;
  static final int MAX_DEPTH = 256;
  private static final int MAX_RETRIES = 16;
  private static final Set<PosixFilePermission> NEW_FILE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> NEW_DIRECTORY =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final Path hostRoot;
  private final ViewPaths paths;
  private final Ownership ownership;

  SecureTree(Path hostRoot, ViewPaths paths, Ownership ownership) {
    this.hostRoot = hostRoot;
    this.paths = paths;
    this.ownership = ownership;
    openRoot().close(); // fail at start-up if this platform cannot confine
  }

  /** Writes a file's content; returns the number of bytes written. */
  @FunctionalInterface
  interface Content {
    long writeTo(WritableByteChannel out) throws IOException;
  }

  DirChain openRoot() {
    DirectoryStream<Path> stream;
    try {
      stream = Files.newDirectoryStream(hostRoot);
    } catch (IOException e) {
      throw new Unavailable("The workspace directory is not available", e);
    }
    if (stream instanceof SecureDirectoryStream<Path> secure) {
      return new DirChain(hostRoot, secure);
    }
    try {
      stream.close();
    } catch (IOException ignored) {
      // nothing to clean up
    }
    throw new Unavailable("This platform cannot confine file access (no SecureDirectoryStream)");
  }

  /**
   * Walks a view path securely.
   *
   * @param view a normalized view path inside home (from {@link ViewPaths#resolve})
   * @param followLast follow a symbolic link in the last component (read, write); false to act on
   *     the link itself (delete, move)
   * @param createParents create missing intermediate directories (given to the owner)
   * @return the held parent and the leaf, which may not exist; the caller must close it
   */
  Located locate(String view, boolean followLast, boolean createParents) {
    DirChain chain = openRoot();
    try {
      return walk(chain, view, followLast, createParents);
    } catch (IOException e) {
      chain.close();
      throw IoErrors.translate(e, view);
    } catch (RuntimeException e) {
      chain.close();
      throw e;
    }
  }

  private Located walk(DirChain chain, String view, boolean followLast, boolean createParents)
      throws IOException {
    Deque<String> queue = new ArrayDeque<>(paths.components(view));
    int hops = 0;
    int retries = 0;
    while (!queue.isEmpty()) {
      String name = queue.removeFirst();
      if (name.equals("..")) {
        if (chain.depth() == 0) {
          throw outside(view);
        }
        chain.pop();
        continue;
      }
      boolean last = queue.isEmpty();
      Optional<BasicFileAttributes> attributes = lstat(chain.top(), name);
      if (attributes.isPresent()
          && attributes.get().isSymbolicLink()
          && (followLast || !last)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new BadRequest("Too many levels of symbolic links: " + view);
        }
        Optional<String> target = readLink(chain, name, attributes.get());
        if (target.isEmpty()) {
          retries = retry(retries, view);
          queue.addFirst(name);
          hops--;
          continue;
        }
        expand(target.get(), chain, queue, view);
        continue;
      }
      if (last) {
        return Located.entry(chain, name, attributes, view);
      }
      if (attributes.isEmpty()) {
        if (!createParents) {
          throw new NotFound("No such file or directory: " + view);
        }
        createDirectory(chain, name);
        queue.addFirst(name);
        continue;
      }
      if (!attributes.get().isDirectory()) {
        String prefix = paths.viewOf(append(chain.components(), name));
        if (createParents) {
          throw new Conflict("Not a directory: " + prefix);
        }
        throw new NotFound("No such file or directory: " + view + " (" + prefix + " is not a directory)");
      }
      SecureDirectoryStream<Path> next;
      try {
        next = chain.top().newDirectoryStream(leaf(name), NOFOLLOW_LINKS);
      } catch (AccessDeniedException e) {
        throw e; // looking again will not help (the owner may not enter this directory)
      } catch (IOException e) {
        // Replaced (by a link, a file, nothing) since the lstat: look at it again.
        retries = retry(retries, view, e);
        queue.addFirst(name);
        continue;
      }
      chain.push(next, name);
    }
    // The path ended on a directory held in the chain (home, or a link target ending in "..").
    if (chain.depth() == 0) {
      return Located.root(chain, view);
    }
    String name = chain.pop();
    return Located.entry(chain, name, lstat(chain.top(), name), view);
  }

  private static int retry(int retries, String view) {
    if (retries + 1 > MAX_RETRIES) {
      throw new Conflict(view + " keeps changing while it is being resolved; try again");
    }
    return retries + 1;
  }

  private static int retry(int retries, String view, IOException cause) throws IOException {
    if (retries + 1 > MAX_RETRIES) {
      throw cause;
    }
    return retries + 1;
  }

  private PathOutsideWorkspace outside(String view) {
    return new PathOutsideWorkspace(
        "Path resolves outside the workspace (" + paths.home() + "): " + view);
  }

  /** Puts a link's target in front of the remaining components. */
  private void expand(String target, DirChain chain, Deque<String> queue, String view) {
    List<String> parts = ViewPaths.split(target);
    if (target.startsWith("/")) {
      // An absolute target is a view path: it must start with home's components. Anything
      // else, including a ".." before reaching home, is outside.
      List<String> home = paths.homeComponents();
      if (parts.size() < home.size() || !parts.subList(0, home.size()).equals(home)) {
        throw outside(view);
      }
      parts = parts.subList(home.size(), parts.size());
      chain.resetToRoot();
    }
    for (int i = parts.size() - 1; i >= 0; i--) {
      queue.addFirst(parts.get(i));
    }
  }

  /**
   * Reads the text of the link {@code name} in the chain's top directory; empty if it changed
   * while we looked (see the class comment for why this is verified).
   */
  private static Optional<String> readLink(
      DirChain chain, String name, BasicFileAttributes heldView) {
    Object key = heldView.fileKey();
    if (key == null) {
      throw new Unavailable("This platform cannot identify files (no file keys)");
    }
    Path host = chain.hostPath().resolve(leaf(name));
    try {
      BasicFileAttributes before =
          Files.readAttributes(host, BasicFileAttributes.class, NOFOLLOW_LINKS);
      String text = Files.readSymbolicLink(host).toString();
      BasicFileAttributes after =
          Files.readAttributes(host, BasicFileAttributes.class, NOFOLLOW_LINKS);
      Optional<BasicFileAttributes> again = lstat(chain.top(), name);
      boolean same =
          before.isSymbolicLink()
              && key.equals(before.fileKey())
              && key.equals(after.fileKey())
              && again.isPresent()
              && key.equals(again.get().fileKey());
      return same && !text.isEmpty() ? Optional.of(text) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Creates directory {@code name} in the chain's top directory without any path the sandbox can
   * redirect (see the class comment), owned by the workspace owner. An entry that appears there
   * meanwhile is left alone; the caller looks again.
   */
  void createDirectory(DirChain chain, String name) throws IOException {
    Path leafName = leaf(name);
    var mode = PosixFilePermissions.asFileAttribute(NEW_DIRECTORY);
    if (chain.depth() == 0) {
      try {
        Files.createDirectory(hostRoot.resolve(leafName), mode);
      } catch (FileAlreadyExistsException e) {
        return;
      }
      ownership.apply(chain.root(), name);
      return;
    }
    String staging = stagingName();
    Files.createDirectory(hostRoot.resolve(staging), mode);
    try {
      ownership.apply(chain.root(), staging);
      chain.root().move(leaf(staging), chain.top(), leafName);
    } catch (IOException e) {
      try {
        chain.root().deleteDirectory(leaf(staging));
      } catch (IOException ignored) {
        // already gone, or replaced by the sandbox: either way not ours to worry about
      }
      if (lstat(chain.top(), name).isPresent()) {
        return;
      }
      throw e;
    }
  }

  /**
   * Atomically replaces (or creates) the leaf with new content: writes a temporary file in the
   * held parent (O_CREAT|O_EXCL|O_NOFOLLOW), gives it the owner and the old file's permissions,
   * then renames it over the leaf within the same held directory.
   */
  long replaceFile(Located target, Content content) throws IOException {
    if (target.isRoot() || target.isDirectory()) {
      throw new Conflict("A directory exists at " + target.view());
    }
    if (target.exists() && !target.isRegularFile()) {
      throw new Conflict("Not a regular file: " + target.view());
    }
    SecureDirectoryStream<Path> dir = target.parent();
    Optional<PosixFileAttributes> previous =
        target.exists() ? Optional.of(posix(dir, target.leaf())) : Optional.empty();
    Set<PosixFilePermission> permissions =
        previous.map(PosixFileAttributes::permissions).orElse(NEW_FILE);
    String temporary = stagingName();
    Set<OpenOption> options =
        Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, NOFOLLOW_LINKS);
    boolean renamed = false;
    try {
      long size;
      try (SeekableByteChannel out =
          dir.newByteChannel(
              leaf(temporary), options, PosixFilePermissions.asFileAttribute(permissions))) {
        size = content.writeTo(out);
      }
      dir.getFileAttributeView(leaf(temporary), PosixFileAttributeView.class, NOFOLLOW_LINKS)
          .setPermissions(permissions); // the creation mode went through the umask
      ownership.apply(dir, temporary, previous);
      dir.move(leaf(temporary), dir, leaf(target.leaf()));
      renamed = true;
      return size;
    } finally {
      if (!renamed) {
        try {
          dir.deleteFile(leaf(temporary));
        } catch (IOException ignored) {
          // never created, or already gone
        }
      }
    }
  }

  /**
   * Deletes directory {@code name} in {@code parent} and everything below it, never following a
   * link: each level is opened relative to its parent with O_NOFOLLOW, and anything that is not a
   * directory (links included) is unlinked, not followed.
   */
  void deleteTree(SecureDirectoryStream<Path> parent, String name, String view, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new BadRequest("Directory tree too deep to delete (over " + MAX_DEPTH + " levels): " + view);
    }
    for (int attempt = 0; ; attempt++) {
      SecureDirectoryStream<Path> dir;
      try {
        dir = parent.newDirectoryStream(leaf(name), NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return;
      } catch (IOException e) {
        // No longer a directory (the sandbox swapped it, perhaps for a link): unlink the name.
        deleteIfPresent(parent, name);
        return;
      }
      try (dir) {
        for (String child : names(dir)) {
          Optional<BasicFileAttributes> attributes = lstat(dir, child);
          if (attributes.isEmpty()) {
            continue;
          }
          if (attributes.get().isDirectory()) {
            deleteTree(dir, child, view, depth + 1);
          } else {
            deleteIfPresent(dir, child);
          }
        }
      }
      try {
        parent.deleteDirectory(leaf(name));
        return;
      } catch (NoSuchFileException e) {
        return;
      } catch (DirectoryNotEmptyException e) {
        if (attempt >= 3) {
          throw new Conflict("Files keep appearing in " + view + " while it is deleted; try again");
        }
      }
    }
  }

  private static void deleteIfPresent(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    try {
      dir.deleteFile(leaf(name));
    } catch (NoSuchFileException e) {
      // deleted meanwhile
    }
  }

  /** fd-relative lstat; empty if the name does not exist. */
  static Optional<BasicFileAttributes> lstat(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    try {
      return Optional.of(
          dir.getFileAttributeView(leaf(name), BasicFileAttributeView.class, NOFOLLOW_LINKS)
              .readAttributes());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  static PosixFileAttributes posix(SecureDirectoryStream<Path> dir, String name)
      throws IOException {
    return dir.getFileAttributeView(leaf(name), PosixFileAttributeView.class, NOFOLLOW_LINKS)
        .readAttributes();
  }

  /** The names in a held directory, sorted. */
  static List<String> names(SecureDirectoryStream<Path> dir) throws IOException {
    List<String> names = new ArrayList<>();
    try {
      for (Path entry : dir) {
        names.add(entry.getFileName().toString());
      }
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    Collections.sort(names);
    return names;
  }

  /**
   * A single path component for a descriptor-relative call. This is the guard that keeps every
   * *at call relative: an absolute or multi-component path would make openat ignore the held
   * directory or follow links in the middle.
   */
  static Path leaf(String name) {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a single path component: '" + name + "'");
    }
    try {
      return Path.of(name);
    } catch (java.nio.file.InvalidPathException e) {
      throw new BadRequest("Invalid file name: " + Messages.quote(name), e);
    }
  }

  private static String stagingName() {
    byte[] random = new byte[12];
    ThreadLocalRandom.current().nextBytes(random);
    return ".sandcastle-" + HexFormat.of().formatHex(random) + ".tmp";
  }

  private static List<String> append(List<String> list, String name) {
    List<String> out = new ArrayList<>(list);
    out.add(name);
    return out;
  }
}
