package dev.sandcastle.orchestrator.account;

import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The key that signs session tokens: 32 random bytes, base64 on one line, in a file created with
 * mode 0600 (through a temporary file born with that mode, linked into place so that two processes
 * starting at once agree on one key). Fails with {@link Unavailable}, naming the file but never its content.
 */
final class SessionKeyFile {
  static final int KEY_BYTES = 32;

  private SessionKeyFile() {}

  /** Reads the key, creating the file with a fresh random key when it does not exist. */
  static byte[] load(Path file) {
    if (!Files.exists(file)) {
      try {
        create(file);
      } catch (FileAlreadyExistsException e) {
        // Another process made it first: use theirs.
      } catch (IOException e) {
        throw new Unavailable("cannot create the session key file " + file.getFileName() + ": " + e.getClass().getSimpleName());
      }
    }
    try {
      byte[] key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
      if (key.length < KEY_BYTES) {
        throw new Unavailable("the session key file " + file.getFileName() + " holds fewer than " + KEY_BYTES + " bytes");
      }
      return key;
    } catch (IOException | IllegalArgumentException e) {
      throw new Unavailable("cannot read the session key file " + file.getFileName() + ": " + e.getClass().getSimpleName());
    }
  }

  private static void create(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] ownerOnly = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", ownerOnly);
    try {
      Files.writeString(temp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
      try {
        Files.createLink(file.toAbsolutePath(), temp); // fails when the name exists: never replaces a key
      } catch (UnsupportedOperationException e) {
        if (Files.exists(file)) {
          throw new FileAlreadyExistsException(String.valueOf(file.getFileName()));
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
