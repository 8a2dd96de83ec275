package dev.sandcastle.app;

import dev.sandcastle.core.sandbox.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Keeps the data directory private to the server: the directory itself can be entered but not
 * listed by other accounts (a root server's workspaces, each under a uid of its own, pass through
 * it to their homes and state), and its own files (the embedded database, keys, the lock) are
 * readable by the server alone, whatever mode they were created with or an older version left
 * them in. The folders below it keep their own rules: homes belong to their workspaces, a
 * workspace's state directory to the server and that workspace's group.
 */
final class DataDirectory {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PASSABLE = PosixFilePermissions.fromString("rwx--x--x");
  /** Folders that workspaces under other uids pass through. */
  private static final Set<String> PASSED_THROUGH = Set.of("homes", "state", "workspaces", "volumes");
  /** The spool of uploads and archives: the server's alone. Other folders (not the server's) are left as they are. */
  private static final String SPOOL = "tmp";

  private DataDirectory() {}

  /** Applies the rules to the directory and what lies directly in it; call at start and after the database is open. */
  static void secure(Path dataDir) {
    boolean root = Sandbox.currentUid() == 0;
    try {
      Files.createDirectories(dataDir.resolve(SPOOL));
      Files.createDirectories(dataDir.resolve("state"));
      Files.setPosixFilePermissions(dataDir, root ? PASSABLE : OWNER_ONLY);
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir)) {
        for (Path entry : entries) {
          if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            String name = entry.getFileName().toString();
            if (PASSED_THROUGH.contains(name)) {
              Files.setPosixFilePermissions(entry, root ? PASSABLE : OWNER_ONLY);
            } else if (name.equals(SPOOL)) {
              Files.setPosixFilePermissions(entry, OWNER_ONLY);
            }
          } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(entry, LinkOption.NOFOLLOW_LINKS);
            mode.retainAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            Files.setPosixFilePermissions(entry, mode);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the data directory " + dataDir + " private", e);
    }
  }
}
