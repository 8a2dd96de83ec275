package dev.sandcastle.core.files;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The adversarial paths and links of {@link ConfinementTest} again, with operations running as the
 * workspace owner, and an outside the owner could read and write if the confinement let it through
 * (so only the confinement, not the kernel's permission checks, keeps it untouched).
 */
class ConfinementAsOwnerTest extends ConfinementTest {
  static final int UID = 100_321;

  @BeforeEach
  void runAsTheOwner() throws IOException {
    assumeThat(ThreadCredentials.effectiveUid()).as("needs a root server").isZero();
    files.close();
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(outside.resolve("secret.txt"), PosixFilePermissions.fromString("rw-rw-rw-"));
    fixturesBelongToTheSandbox();
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    files = new WorkspaceFiles(root, HOME, new Owner(UID, UID), FileLimits.defaults());
  }

  @Override
  void fixturesBelongToTheSandbox() throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        OwnerRightsTest.chown(p, UID, UID);
      }
    }
  }

  @AfterEach
  void stopTheOwnersThreads() {
    files.close();
  }
}
