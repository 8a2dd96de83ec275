package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PathOutsideWorkspace;
import java.util.ArrayList;
import java.util.List;

/**
 * Lexical handling of view paths: the paths clients use, as seen inside the sandbox, where the
 * workspace root appears as {@code home}. Pure string work; never touches the file system. The
 * secure walk ({@link SecureTree}) decides what a path really names.
 */
final class ViewPaths {
  static final int MAX_PATH_CHARS = 4096;

  private final String home;
  private final List<String> homeComponents;

  ViewPaths(String home) {
    if (home.isEmpty() || home.charAt(0) != '/' || home.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("home must be an absolute path: '" + home + "'");
    }
    String normalized = normalize(home);
    if (!normalized.equals(home)) {
      throw new IllegalArgumentException(
          "home must be normalized (no trailing '/', '.', '..' or '//'): '" + home + "'");
    }
    this.home = home;
    this.homeComponents = split(home);
  }

  String home() {
    return home;
  }

  /** The non-empty components of {@code home}, e.g. [home, user]. */
  List<String> homeComponents() {
    return homeComponents;
  }

  /**
   * Resolves a client path against a working directory to a normalized view path inside home.
   * {@code ~} and {@code ~/x} mean home; relative paths start at {@code cwd}; an empty {@code
   * cwd} means home, and a relative {@code cwd} starts at home. {@code ..} is applied lexically.
   */
  String resolve(String path, String cwd) {
    String absolute = absolute(path, cwd);
    if (!path.equals("~") && !path.startsWith("~/") && path.charAt(0) != '/') {
      inside(normalize(workingDirectory(cwd)), cwd); // a working directory outside home is refused, even for paths that come back
    }
    return inside(absolute, path);
  }

  /** Like {@link #resolve}, but the result (and {@code cwd}) may lie anywhere in the sandbox. */
  String absolute(String path, String cwd) {
    check(path, "path");
    if (path.equals("~")) {
      return home;
    }
    if (path.startsWith("~/")) {
      return normalize(home + "/" + path.substring(2));
    }
    if (path.charAt(0) == '/') {
      return normalize(path);
    }
    return normalize(workingDirectory(cwd) + "/" + path);
  }

  private String workingDirectory(String cwd) {
    if (cwd.isEmpty() || cwd.equals("~")) {
      return home;
    }
    check(cwd, "cwd");
    if (cwd.startsWith("~/")) {
      return home + "/" + cwd.substring(2);
    }
    return cwd.charAt(0) == '/' ? cwd : home + "/" + cwd;
  }

  private String inside(String normalized, String original) {
    if (isInside(normalized)) {
      return normalized;
    }
    throw new PathOutsideWorkspace(
        "Path is outside the workspace (" + home + "): " + Messages.quote(original));
  }

  boolean isInside(String normalized) {
    return home.equals("/")
        || normalized.equals(home)
        || normalized.startsWith(home + "/");
  }

  /** The components of a normalized view path below home; empty for home itself. */
  List<String> components(String viewPath) {
    if (!isInside(viewPath)) {
      throw new IllegalArgumentException("not a view path inside home: " + viewPath);
    }
    String rest = home.equals("/") ? viewPath : viewPath.substring(home.length());
    return split(rest);
  }

  /** The view path of components below home. */
  String viewOf(List<String> components) {
    if (components.isEmpty()) {
      return home;
    }
    StringBuilder out = new StringBuilder(home.equals("/") ? "" : home);
    for (String c : components) {
      out.append('/').append(c);
    }
    return out.toString();
  }

  /** {@code viewPath + "/" + name}, for entries found while walking. */
  static String child(String viewPath, String name) {
    return viewPath.equals("/") ? "/" + name : viewPath + "/" + name;
  }

  /** Splits on '/', dropping empty and "." components (keeps ".."). */
  static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/", -1)) {
      if (!part.isEmpty() && !part.equals(".")) {
        out.add(part);
      }
    }
    return out;
  }

  /** POSIX lexical normalization of an absolute path; ".." at "/" stays at "/". */
  static String normalize(String absolute) {
    List<String> stack = new ArrayList<>();
    for (String part : split(absolute)) {
      if (part.equals("..")) {
        if (!stack.isEmpty()) {
          stack.removeLast();
        }
      } else {
        stack.add(part);
      }
    }
    return "/" + String.join("/", stack);
  }

  private static void check(String path, String what) {
    if (path.isEmpty()) {
      throw new BadRequest("The " + what + " must not be empty");
    }
    if (path.indexOf('\0') >= 0) {
      throw new BadRequest("The " + what + " must not contain NUL characters");
    }
    if (path.length() > MAX_PATH_CHARS) {
      throw new BadRequest(
          "The " + what + " is longer than " + MAX_PATH_CHARS + " characters");
    }
  }
}
