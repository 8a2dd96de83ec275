package dev.sandcastle.api;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the operator tells clients and the model about the workspaces, with Open Terminal's two
 * settings of the same names.
 *
 * @param info {@code OPEN_TERMINAL_INFO}: free text about the environment, served by
 *     {@code GET /info} (the {@code get_info} tool) and added to the system prompt; empty: no
 *     {@code /info} (404) and no such tool
 * @param fileBrowserRoot {@code OPEN_TERMINAL_FILE_BROWSER_ROOT}: where a file browser starts,
 *     reported by {@code GET /files/cwd} as {@code root}: {@code home} (the default), {@code
 *     filesystem} (no root: clients start at {@code /}), or a path in which {@code {{home}}} and a
 *     leading {@code ~} stand for the home; a relative one starts at the home
 */
public record ClientHints(Optional<String> info, String fileBrowserRoot) {
  public static final String HOME = "home";
  public static final String FILESYSTEM = "filesystem";

  public ClientHints {
    info = info.map(String::strip).filter(text -> !text.isEmpty());
    fileBrowserRoot = fileBrowserRoot.strip();
    if (fileBrowserRoot.indexOf('\0') >= 0 || fileBrowserRoot.length() > 4096) {
      throw new IllegalArgumentException("the file browser root must be a path of at most 4096 characters");
    }
  }

  /** No information, and file browsers start at the home. */
  public static ClientHints none() {
    return new ClientHints(Optional.empty(), HOME);
  }

  /** The system prompt with the operator's information after it. */
  String systemPrompt(String prompt) {
    return info.map(text -> prompt + "\n\n" + text).orElse(prompt);
  }

  /** The file browser's root in a workspace with this home, as {@code {"path","label"}}; empty for {@code filesystem}. */
  Optional<Map<String, String>> root(String home) {
    String mode = fileBrowserRoot.toLowerCase(Locale.ROOT);
    if (mode.equals(FILESYSTEM)) {
      return Optional.empty();
    }
    String path = mode.isEmpty() || mode.equals(HOME) ? home : fileBrowserRoot.replace("{{home}}", home);
    if (path.equals("~") || path.startsWith("~/")) {
      path = home + path.substring(1);
    } else if (!path.startsWith("/")) {
      path = home + "/" + path;
    }
    String normalized = Path.of(path).normalize().toString();
    Map<String, String> root = new LinkedHashMap<>();
    root.put("path", normalized);
    root.put("label", normalized.equals(home) ? "Home" : normalized.equals("/") ? "/" : Path.of(normalized).getFileName().toString());
    return Optional.of(root);
  }
}
