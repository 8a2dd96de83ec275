package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.sandbox.SandboxView;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The workspace's file system outside its home, read-only, as its sandboxed processes see it:
 * paths are looked up in the sandbox's mount table ({@link SandboxView}), never in the host's
 * own tree, so nothing of the host that the sandbox does not show can be named.
 *
 * <p>Paths are walked one component at a time. A host entry is examined without following links
 * ({@code lstat}); a link's text (the sandbox's own links, or links inside bound host directories)
 * is resolved again through the mount table, as the sandbox's kernel would resolve it, so a link
 * under {@code /usr} pointing at a host file the sandbox does not bind leads nowhere. The bound
 * host trees (the system directories, the sandbox's runtime files) are not writable by the
 * workspace, so they cannot change between the walk and the read. A walk that arrives in the home
 * hands over to the confined home code ({@link Found.InHome}).
 *
 * <p>What the sandbox makes for itself ({@code /tmp}, {@code /run}, {@code /proc}, {@code /dev})
 * lives only inside the running sandbox: those directories are listed with the mount points the
 * table puts in them and nothing else.
 */
final class OutsideHome {
  private final SandboxView view;
  private final ViewPaths paths;

  /** Where a path of the sandbox leads. */
  sealed interface Found {
    /** Into the home: the home code takes over with this link-free view path. */
    record InHome(String view) implements Found {}

    /** An entry of a bound host directory (a link only when the last link was not followed). */
    record Host(String view, Path path, BasicFileAttributes attributes) implements Found {}

    /** A directory the sandbox makes for itself. */
    record Made(String view) implements Found {}

    /** A file given to the sandbox from data, or a link of the sandbox's own that was not followed. */
    record Opaque(String view, FileType type) implements Found {}
  }

  OutsideHome(SandboxView view, ViewPaths paths) {
    this.view = view;
    this.paths = paths;
  }

  /**
   * Walks a normalized absolute view path outside the home.
   *
   * @param followLast follow a link in the last component
   * @throws NotFound if the sandbox has nothing there
   */
  Found find(String requested, boolean followLast) {
    Deque<String> queue = new ArrayDeque<>(ViewPaths.split(requested));
    String at = "/";
    int hops = 0;
    while (!queue.isEmpty()) {
      String name = queue.removeFirst();
      if (name.equals("..")) {
        at = parent(at);
        continue;
      }
      String next = ViewPaths.child(at, name);
      if (paths.isInside(next)) {
        StringBuilder rest = new StringBuilder(next);
        queue.forEach(part -> rest.append('/').append(part));
        return new Found.InHome(ViewPaths.normalize(rest.toString()));
      }
      boolean last = queue.isEmpty();
      Optional<String> link = Optional.empty();
      switch (view.place(next)) {
        case SandboxView.Place.Absent absent -> throw new NotFound("No such file or directory: " + requested);
        case SandboxView.Place.Data data -> {
          if (!last) {
            throw new NotFound("No such file or directory: " + requested + " (" + next + " is not a directory)");
          }
          return new Found.Opaque(next, FileType.FILE);
        }
        case SandboxView.Place.Made made -> {
          if (last) {
            return new Found.Made(next);
          }
        }
        case SandboxView.Place.Link own -> {
          if (last && !followLast) {
            return new Found.Opaque(next, FileType.SYMLINK);
          }
          link = Optional.of(own.target());
        }
        case SandboxView.Place.Host host -> {
          BasicFileAttributes attributes = lstat(host.path(), requested)
              .orElseThrow(() -> new NotFound("No such file or directory: " + requested));
          if (attributes.isSymbolicLink() && (followLast || !last)) {
            link = Optional.of(readLink(host.path(), requested));
          } else if (last) {
            return new Found.Host(next, host.path(), attributes);
          } else if (!attributes.isDirectory()) {
            throw new NotFound("No such file or directory: " + requested + " (" + next + " is not a directory)");
          }
        }
      }
      if (link.isPresent()) {
        if (++hops > SecureTree.MAX_SYMLINK_HOPS) {
          throw new BadRequest("Too many levels of symbolic links: " + requested);
        }
        List<String> target = ViewPaths.split(link.get());
        for (int i = target.size() - 1; i >= 0; i--) {
          queue.addFirst(target.get(i));
        }
        if (!link.get().startsWith("/")) {
          continue; // relative to the directory holding the link: "at" stays
        }
        at = "/";
        continue;
      }
      at = next;
    }
    return at.equals("/") || !(view.place(at) instanceof SandboxView.Place.Host host)
        ? new Found.Made(at)
        : new Found.Host(at, host.path(), lstat(host.path(), requested).orElseThrow(() -> new NotFound("No such file or directory: " + requested)));
  }

  /** The entries of a directory found outside the home: what it holds and what the sandbox mounts in it. */
  List<FileEntry> list(Found directory, String requested) {
    String dir;
    Set<String> names = new TreeSet<>();
    switch (directory) {
      case Found.Host host when host.attributes().isDirectory() -> {
        dir = host.view();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(host.path())) {
          for (Path entry : entries) {
            names.add(entry.getFileName().toString());
          }
        } catch (DirectoryIteratorException e) {
          throw IoErrors.translate(e.getCause(), requested);
        } catch (IOException e) {
          throw IoErrors.translate(e, requested);
        }
      }
      case Found.Made made -> dir = made.view();
      default -> throw new BadRequest("Not a directory: " + requested);
    }
    names.addAll(view.mountedIn(dir));
    List<FileEntry> entries = new ArrayList<>();
    for (String name : names) {
      entry(ViewPaths.child(dir, name), name).ifPresent(entries::add);
    }
    entries.sort(Comparator.comparing((FileEntry e) -> e.type() != FileType.DIRECTORY).thenComparing(FileEntry::name));
    return entries;
  }

  /** Opens a regular file found outside the home, without following a link. */
  static SeekableByteChannel open(Found found, String requested) {
    return switch (found) {
      case Found.Host host when host.attributes().isRegularFile() -> {
        try {
          yield Files.newByteChannel(host.path(), Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
        } catch (IOException e) {
          throw IoErrors.translate(e, requested);
        }
      }
      case Found.Host host when host.attributes().isDirectory() -> throw new BadRequest("Is a directory: " + requested + " (list it instead)");
      case Found.Made made -> throw new BadRequest("Is a directory: " + requested + " (list it instead)");
      case Found.Opaque opaque -> throw new Forbidden(requested + " exists only inside the running sandbox: read it with a command");
      default -> throw new BadRequest("Not a regular file: " + requested);
    };
  }

  /** A refusal for anything that would change a path outside the home. */
  Forbidden readOnly(String requested) {
    return new Forbidden("Outside the home (" + paths.home() + ") the workspace's files are read-only: " + Messages.quote(requested));
  }

  private Optional<FileEntry> entry(String child, String name) {
    return switch (view.place(child)) {
      case SandboxView.Place.Host host -> lstat(host.path(), child)
          .map(a -> new FileEntry(name, FileType.of(a), a.size(), Times.iso(a.lastModifiedTime())));
      case SandboxView.Place.Made made -> Optional.of(new FileEntry(name, FileType.DIRECTORY, 0, Times.EPOCH));
      case SandboxView.Place.Link link -> Optional.of(new FileEntry(name, FileType.SYMLINK, link.target().length(), Times.EPOCH));
      case SandboxView.Place.Data data -> Optional.of(new FileEntry(name, FileType.FILE, 0, Times.EPOCH));
      case SandboxView.Place.Absent absent -> Optional.empty();
    };
  }

  private static Optional<BasicFileAttributes> lstat(Path host, String requested) {
    try {
      return Optional.of(Files.readAttributes(host, BasicFileAttributes.class, NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw IoErrors.translate(e, requested);
    }
  }

  private static String readLink(Path host, String requested) {
    try {
      String text = Files.readSymbolicLink(host).toString();
      if (text.isEmpty()) {
        throw new NotFound("No such file or directory: " + requested);
      }
      return text;
    } catch (IOException e) {
      throw IoErrors.translate(e, requested);
    }
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }
}
