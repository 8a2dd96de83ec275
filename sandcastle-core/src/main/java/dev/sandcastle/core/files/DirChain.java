package dev.sandcastle.core.files;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories from the workspace root down to where a walk stands, each held open. Every
 * directory after the root was opened relative to the one before it with O_NOFOLLOW, so the chain
 * is a real path inside the workspace with no symbolic link in it, whatever happens to the names
 * afterwards. Not thread-safe; one per operation.
 */
final class DirChain implements AutoCloseable {
  private final Path hostRoot;
  private final List<SecureDirectoryStream<Path>> dirs = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  DirChain(Path hostRoot, SecureDirectoryStream<Path> root) {
    this.hostRoot = hostRoot;
    dirs.add(root);
  }

  SecureDirectoryStream<Path> root() {
    return dirs.getFirst();
  }

  SecureDirectoryStream<Path> top() {
    return dirs.getLast();
  }

  /** How many directories below the root the chain reaches. */
  int depth() {
    return names.size();
  }

  /** The names from the root to the top: the real path of the top below home. */
  List<String> components() {
    return List.copyOf(names);
  }

  void push(SecureDirectoryStream<Path> dir, String name) {
    dirs.add(dir);
    names.add(name);
  }

  /** Closes the top directory and returns its name. */
  String pop() {
    closeQuietly(dirs.removeLast());
    return names.removeLast();
  }

  void resetToRoot() {
    while (depth() > 0) {
      pop();
    }
  }

  /**
   * The host path the top directory had when it was opened. Only for the one call the JDK cannot
   * make relative to a descriptor (reading a link's text), whose result is verified; see {@link
   * SecureTree}.
   */
  Path hostPath() {
    Path path = hostRoot;
    for (String name : names) {
      path = path.resolve(SecureTree.leaf(name));
    }
    return path;
  }

  @Override
  public void close() {
    while (!dirs.isEmpty()) {
      closeQuietly(dirs.removeLast());
    }
    names.clear();
  }

  private static void closeQuietly(SecureDirectoryStream<Path> dir) {
    try {
      dir.close();
    } catch (IOException ignored) {
      // closing a directory descriptor cannot lose data
    }
  }
}
