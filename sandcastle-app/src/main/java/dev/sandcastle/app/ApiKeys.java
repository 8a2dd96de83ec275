package dev.sandcastle.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Finds the API key: configured directly, from a file, or generated once and kept in
 * {@code <data-dir>/api-key} (mode 0600 from its creation) so restarts keep it. Only the file's
 * path is printed, since what a server prints usually ends up in a log; {@link Generation#SHOW}
 * prints the key itself once, for a person at a terminal.
 */
final class ApiKeys {
  private ApiKeys() {}

  /** What to do when no key is configured. */
  enum Generation {
    /** Refuse to start. */
    OFF,
    /** Generate one, store it, print where. */
    STORE,
    /** Generate one, store it, print where and the key itself, once. */
    SHOW
  }

  static String resolve(Config config, PrintWriter out) {
    if (config.apiKey().isPresent()) {
      return validated(config.apiKey().get(), "the configured API key");
    }
    if (config.apiKeyFile().isPresent()) {
      return fromFile(config.apiKeyFile().get());
    }
    Path stored = config.dataDir().resolve("api-key");
    if (Files.isRegularFile(stored)) {
      return fromFile(stored);
    }
    if (config.generateApiKey() == Generation.OFF) {
      throw new Config.Invalid("no API key: set SANDCASTLE_API_KEY (or OPEN_TERMINAL_API_KEY), --api-key-file, or allow --generate-api-key");
    }
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    String key = "sc-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    try {
      Files.createDirectories(config.dataDir());
      // Created private: never readable by others, not even between its creation and a chmod.
      Files.createFile(stored, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(stored, key + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Config.Invalid("cannot store the generated API key in " + stored + ": " + e.getMessage());
    }
    out.println("Generated an API key, stored in " + stored + " (read it with: cat " + stored + ")");
    if (config.generateApiKey() == Generation.SHOW) {
      out.println("  " + key + "   (shown only now: --generate-api-key show)");
    }
    out.flush();
    return key;
  }

  private static String fromFile(Path file) {
    try {
      String key = Files.readString(file).lines().findFirst().orElse("").trim();
      return validated(key, "the API key in " + file);
    } catch (IOException e) {
      throw new Config.Invalid("cannot read the API key file " + file + ": " + e.getMessage());
    }
  }

  private static String validated(String key, String what) {
    if (key.length() < 8) {
      throw new Config.Invalid(what + " is too short: use at least 8 characters");
    }
    return key;
  }
}
