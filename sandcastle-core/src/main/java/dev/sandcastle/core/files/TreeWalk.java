package dev.sandcastle.core.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A depth-first walk over held directories, in name order, for grep, glob and archive. Entries
 * are seen through fd-relative lstat; the walk descends only into real directories, opened with
 * O_NOFOLLOW relative to their parent, so it never follows a link anywhere. A budget of entries
 * and a depth limit bound the work; running out is reported by {@link #exhausted()}.
 */
final class TreeWalk {
  enum Visit {
    /** Go on; descend if this is a directory. */
    CONTINUE,
    /** Go on, but do not descend into this directory. */
    SKIP,
    /** End the walk. */
    STOP
  }

  @FunctionalInterface
  interface Visitor {
    /**
     * Called for every entry, on the walking thread, with the held directory that contains it.
     *
     * @param relative the entry's components relative to the walk's start
     */
    Visit visit(
        SecureDirectoryStream<Path> dir,
        String name,
        BasicFileAttributes attributes,
        List<String> relative)
        throws IOException;
  }

  private final int maxDepth;
  private long entriesLeft;
  private boolean exhausted;

  TreeWalk(int maxDepth, long maxEntries) {
    this.maxDepth = maxDepth;
    this.entriesLeft = maxEntries;
  }

  /** True when the walk skipped something because of its budget or depth limit. */
  boolean exhausted() {
    return exhausted;
  }

  /** Walks below {@code dir}; returns false if the walk was stopped. */
  boolean walk(SecureDirectoryStream<Path> dir, List<String> relative, Visitor visitor)
      throws IOException {
    for (String name : SecureTree.names(dir)) {
      if (entriesLeft-- <= 0) {
        exhausted = true;
        return false;
      }
      Optional<BasicFileAttributes> attributes = SecureTree.lstat(dir, name);
      if (attributes.isEmpty()) {
        continue;
      }
      List<String> path = new ArrayList<>(relative.size() + 1);
      path.addAll(relative);
      path.add(name);
      Visit visit = visitor.visit(dir, name, attributes.get(), path);
      if (visit == Visit.STOP) {
        return false;
      }
      if (visit == Visit.SKIP || !attributes.get().isDirectory()) {
        continue;
      }
      if (path.size() >= maxDepth) {
        exhausted = true;
        continue;
      }
      SecureDirectoryStream<Path> sub;
      try {
        sub = dir.newDirectoryStream(SecureTree.leaf(name), NOFOLLOW_LINKS);
      } catch (IOException e) {
        continue; // replaced since the lstat (perhaps by a link): not ours to follow
      }
      try (sub) {
        if (!walk(sub, path, visitor)) {
          return false;
        }
      }
    }
    return true;
  }
}
