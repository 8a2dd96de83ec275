package dev.sandcastle.core.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The file system as a workspace's processes see it, described by its mount table alone: which
 * host directory appears where, read-only or not, which links and which directories the sandbox
 * was given of its own. It answers "what is at this path of the sandbox" without touching the
 * disk, so that the file API can show the sandbox's {@code /} exactly as its commands see it and
 * nothing of the host beyond that.
 *
 * <p>For a bubblewrap sandbox the table is read from the very arguments bwrap gets
 * ({@link #ofBwrap}): whoever changes what the sandbox binds changes what the file API shows, with
 * nothing else to keep in step. Later mounts hide earlier ones at and below their path, as in
 * bwrap. Without a sandbox ({@link #host}) the processes see the host itself.
 */
public final class SandboxView {
  /** What a path of the sandbox is, according to the mount table. */
  public sealed interface Place {
    /** Inside a bind mount: this host path holds it, if anything does. */
    record Host(Path path, boolean writable) implements Place {}

    /** A symbolic link the sandbox was given, with its text. */
    record Link(String target) implements Place {}

    /**
     * A directory the sandbox made for itself: its root, a mount point, a tmpfs, {@code /proc},
     * {@code /dev}. Whatever it holds is only visible inside the running sandbox, except what the
     * table mounts below it ({@link #mountedIn}).
     */
    record Made() implements Place {}

    /** A file the sandbox was given from data: it exists there, its content is not visible from outside. */
    record Data() implements Place {}

    /** Nothing: the sandbox has no such path. */
    record Absent() implements Place {}
  }

  private sealed interface Mount {
    String at();

    record Bind(String at, Path source, boolean writable) implements Mount {}

    record Symlink(String at, String target) implements Mount {}

    record Made(String at) implements Mount {}

    record Data(String at) implements Mount {}
  }

  /** bwrap options that take arguments without mounting anything, and how many. */
  private static final Map<String, Integer> OTHER_OPTIONS = Map.ofEntries(
      Map.entry("--argv0", 1), Map.entry("--userns", 1), Map.entry("--userns2", 1), Map.entry("--pidns", 1),
      Map.entry("--uid", 1), Map.entry("--gid", 1), Map.entry("--hostname", 1), Map.entry("--chdir", 1), Map.entry("--setenv", 2),
      Map.entry("--unsetenv", 1), Map.entry("--lock-file", 1), Map.entry("--sync-fd", 1), Map.entry("--block-fd", 1),
      Map.entry("--userns-block-fd", 1), Map.entry("--info-fd", 1), Map.entry("--json-status-fd", 1), Map.entry("--cap-add", 1),
      Map.entry("--cap-drop", 1), Map.entry("--seccomp", 1), Map.entry("--add-seccomp-fd", 1), Map.entry("--exec-label", 1),
      Map.entry("--file-label", 1), Map.entry("--perms", 1), Map.entry("--size", 1), Map.entry("--chmod", 2),
      Map.entry("--remount-ro", 1), Map.entry("--overlay-src", 1));

  private final List<Mount> mounts;
  private final boolean host;

  private SandboxView(List<Mount> mounts, boolean host) {
    this.mounts = List.copyOf(mounts);
    this.host = host;
  }

  /** No sandbox: the processes see the host's own file system, with the rights of their uid. */
  public static SandboxView host() {
    return new SandboxView(List.of(), true);
  }

  /**
   * The view of a bubblewrap sandbox started with these options (the command that follows them
   * excluded). Bind sources are resolved as bwrap resolves them, following their links on the host.
   *
   * @throws IllegalArgumentException for an option this class does not know (a new kind of mount
   *     must be described here before the file API can show it), and for {@code --args}, whose
   *     options this class cannot see
   */
  public static SandboxView ofBwrap(List<String> args) {
    List<Mount> mounts = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String option = args.get(i);
      switch (option) {
        case "bwrap" -> { }
        case "--bind", "--bind-try", "--dev-bind", "--dev-bind-try" -> bind(mounts, args.get(++i), args.get(++i), true, option.endsWith("-try"));
        case "--ro-bind", "--ro-bind-try" -> bind(mounts, args.get(++i), args.get(++i), false, option.endsWith("-try"));
        case "--symlink" -> {
          String target = args.get(++i);
          mounts.add(new Mount.Symlink(normalize(args.get(++i)), target));
        }
        case "--tmpfs", "--proc", "--dev", "--mqueue", "--dir", "--tmp-overlay", "--ro-overlay" -> mounts.add(new Mount.Made(normalize(args.get(++i))));
        case "--overlay" -> {
          i += 2;
          mounts.add(new Mount.Made(normalize(args.get(++i))));
        }
        case "--file", "--bind-data", "--ro-bind-data", "--bind-fd", "--ro-bind-fd" -> {
          i++;
          mounts.add(new Mount.Data(normalize(args.get(++i))));
        }
        default -> {
          if (option.startsWith("--unshare-") || option.startsWith("--share-") || List.of("--disable-userns", "--assert-userns-disabled",
              "--clearenv", "--new-session", "--die-with-parent", "--as-pid-1", "--level-prefix").contains(option)) {
            continue;
          }
          Integer skip = OTHER_OPTIONS.get(option);
          if (skip == null) {
            throw new IllegalArgumentException("SandboxView does not know the bwrap option " + option + ": describe it before using it");
          }
          i += skip;
        }
      }
    }
    return new SandboxView(mounts, false);
  }

  private static void bind(List<Mount> mounts, String source, String at, boolean writable, boolean optional) {
    Path real;
    try {
      real = Path.of(source).toRealPath();
    } catch (IOException e) {
      if (optional) {
        return;
      }
      throw new UncheckedIOException("the sandbox binds " + source + ", which cannot be resolved", e);
    }
    mounts.add(new Mount.Bind(normalize(at), real, writable));
  }

  /**
   * What is at a path of the sandbox. The path must be absolute and normalized, and none of its
   * ancestors may be a link (walk it one component at a time, resolving links as they come; a path
   * through a link is {@link Place.Absent} here).
   */
  public Place place(String path) {
    if (host) {
      return new Place.Host(Path.of(path), true);
    }
    int cover = covering(path);
    if (cover < 0) {
      return path.equals("/") || mountedBelow(path, -1) ? new Place.Made() : new Place.Absent();
    }
    Mount mount = mounts.get(cover);
    if (mount.at().equals(path)) {
      return switch (mount) {
        case Mount.Bind bind -> new Place.Host(bind.source(), bind.writable());
        case Mount.Symlink link -> new Place.Link(link.target());
        case Mount.Made made -> new Place.Made();
        case Mount.Data data -> new Place.Data();
      };
    }
    return switch (mount) {
      case Mount.Bind bind -> new Place.Host(bind.source().resolve(path.substring(bind.at().length() + (bind.at().equals("/") ? 0 : 1))),
          bind.writable());
      case Mount.Made made -> mountedBelow(path, cover) ? new Place.Made() : new Place.Absent();
      case Mount.Symlink link -> new Place.Absent();
      case Mount.Data data -> new Place.Absent();
    };
  }

  /**
   * The names the mount table itself puts in a directory of the sandbox (mount points and what is
   * mounted there), beside whatever the directory holds; empty without a sandbox.
   */
  public SortedSet<String> mountedIn(String dir) {
    SortedSet<String> names = new TreeSet<>();
    int cover = host ? Integer.MAX_VALUE : covering(dir);
    String prefix = dir.equals("/") ? "/" : dir + "/";
    for (int i = cover + 1; i < mounts.size(); i++) {
      String at = mounts.get(i).at();
      if (at.startsWith(prefix) && at.length() > prefix.length()) {
        String rest = at.substring(prefix.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash));
      }
    }
    return names;
  }

  /** Whether this is the host's own file system (no sandbox). */
  public boolean isHost() {
    return host;
  }

  /** The index of the last mount at or above the path, or -1. */
  private int covering(String path) {
    int found = -1;
    for (int i = 0; i < mounts.size(); i++) {
      String at = mounts.get(i).at();
      if (at.equals(path) || at.equals("/") || path.startsWith(at + "/")) {
        found = i;
      }
    }
    return found;
  }

  private boolean mountedBelow(String path, int after) {
    String prefix = path.equals("/") ? "/" : path + "/";
    for (int i = after + 1; i < mounts.size(); i++) {
      if (mounts.get(i).at().startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static String normalize(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("a sandbox path must be absolute: " + path);
    }
    return Path.of(path).normalize().toString();
  }

  @Override
  public String toString() {
    return host ? "SandboxView[host]" : "SandboxView" + mounts;
  }
}
