package dev.sandcastle.app;

import dev.sandcastle.orchestrator.pyodide.PackageMirror;
import dev.sandcastle.orchestrator.pyodide.ReleaseImport;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wiring of browser Python's package mirror: the bundled Pyodide (its lock file and version, from
 * the web front end built into this jar), the mirror under {@code <data-dir>/pyodide} for {@code
 * serve}, and {@code sandcastle pyodide import}.
 */
final class Pyodide {
  private Pyodide() {}

  /** The Pyodide of the web front end: its version and {@code pyodide-lock.json}. */
  record Bundle(String version, byte[] lock) {}

  /** The bundled Pyodide, or empty when this build has no web front end. */
  static Optional<Bundle> bundled() {
    ClassLoader loader = Pyodide.class.getClassLoader();
    try (InputStream lock = loader.getResourceAsStream("web/pyodide/pyodide-lock.json");
        InputStream packageJson = loader.getResourceAsStream("web/pyodide/package.json")) {
      if (lock == null || packageJson == null) {
        return Optional.empty();
      }
      String version = JsonMapper.builder().build().readTree(packageJson.readAllBytes()).path("version").asString("");
      return Optional.of(new Bundle(version, lock.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundled Pyodide", e);
    }
  }

  static Path mirrorDir(Config config) {
    return config.dataDir().resolve("pyodide");
  }

  /** The mirror of {@code serve}, started (it reads the index's lock in the background); empty without a bundled Pyodide. */
  static Optional<PackageMirror> mirror(Config config) {
    return bundled().map(bundle -> PackageMirror.open(mirrorDir(config), bundle.version(), bundle.lock(),
        PackageMirror.Settings.defaults(config.interpreter().pyodideIndex())));
  }

  /** {@code sandcastle pyodide import DIR|TAR.BZ2}: 0 when the release had files of the lock, 1 when none, 2 on bad input. */
  static int importRelease(Config config, Path source, PrintWriter out, PrintWriter err) {
    Optional<Bundle> bundle = bundled();
    if (bundle.isEmpty()) {
      err.println("sandcastle pyodide: this build has no web front end, so no Pyodide to fill a mirror for");
      return 2;
    }
    ReleaseImport.Result result;
    try {
      result = new ReleaseImport(mirrorDir(config), bundle.get().lock(), PackageMirror.Settings.defaults(Optional.empty()).maxFileBytes())
          .run(source);
    } catch (ReleaseImport.Unusable e) {
      err.println("sandcastle pyodide import: " + e.getMessage());
      return 2;
    }
    String version = bundle.get().version();
    out.printf("Imported %d package file%s (%s) into %s; %d %s there already.%n", result.imported(), result.imported() == 1 ? "" : "s",
        size(result.importedBytes()), mirrorDir(config), result.alreadyPresent(), result.alreadyPresent() == 1 ? "was" : "were");
    if (!result.mismatched().isEmpty()) {
      out.println("Not kept, their sha256 is not the one in the lock file: " + String.join(", ", result.mismatched()));
    }
    if (result.added() > 0) {
      out.printf("The release adds %d package%s to the lock of the bundled Pyodide %s.%n", result.added(), result.added() == 1 ? "" : "s",
          version);
    }
    result.note().ifPresent(note -> out.println("Note: " + note + "."));
    out.printf("The mirror has %d of the %d packages of the lock.%n", result.present(), result.lockPackages());
    out.flush();
    if (result.imported() + result.alreadyPresent() == 0) {
      err.println("sandcastle pyodide import: none of its files is a package of the lock file of Pyodide " + version
          + ": import a release of exactly this version (pyodide-" + version + ".tar.bz2)");
      return 1;
    }
    return 0;
  }

  private static String size(long bytes) {
    return bytes < 1 << 20 ? String.format("%.1f KiB", bytes / 1024.0) : String.format("%.1f MiB", bytes / (double) (1 << 20));
  }
}
