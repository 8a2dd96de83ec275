package dev.sandcastle.orchestrator.pyodide;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The mirror's directory. Package files are kept by content: {@code files/<sha256>}, written only
 * after their digest was checked, by an atomic rename from {@code tmp/}, so a file is either whole
 * and verified or absent, and a name from a lock file never becomes a path. Two small lock files
 * beside them hold the packages added beyond the bundled lock: {@code imported-lock.json} (written
 * by {@code sandcastle pyodide import}) and {@code index-lock.json} (written by the server from the
 * package index). Safe for several threads and processes: every write is a rename.
 */
final class MirrorFiles {
  static final String IMPORTED_LOCK = "imported-lock.json";
  static final String INDEX_LOCK = "index-lock.json";
  private final Path dir;
  private final Path files;
  private final Path tmp;

  MirrorFiles(Path dir) {
    this.dir = dir;
    this.files = dir.resolve("files");
    this.tmp = dir.resolve("tmp");
    try {
      Files.createDirectories(files);
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Pyodide package mirror in " + dir, e);
    }
  }

  Path dir() {
    return dir;
  }

  /** The verified file with this digest, if the mirror has it. */
  Optional<Path> find(String sha256) {
    Path file = files.resolve(sha256);
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Optional.of(file) : Optional.empty();
  }

  /** A digest and size of what was written. */
  record Written(Path file, String sha256, long size) {}

  /** Copies a stream to a new temporary file of the mirror, hashing it; at most {@code limit} bytes, else it is deleted. */
  Written receive(InputStream in, long limit) throws IOException {
    Path temp = Files.createTempFile(tmp, "part-", ".tmp");
    MessageDigest digest = sha256();
    long size = 0;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) > 0) {
        size += n;
        if (size > limit) {
          throw new TooLarge(limit);
        }
        out.write(buffer, 0, n);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return new Written(temp, HexFormat.of().formatHex(digest.digest()), size);
  }

  /** Thrown by {@link #receive} when the stream is longer than allowed. */
  static final class TooLarge extends IOException {
    TooLarge(long limit) {
      super("larger than " + IndexClient.size(limit));
    }
  }

  /**
   * Keeps a received file if its digest is the expected one; deletes it either way from {@code tmp/}.
   *
   * @return whether it was kept
   */
  boolean keepIfVerified(Written written, String expectedSha256) throws IOException {
    if (!written.sha256().equals(expectedSha256)) {
      Files.deleteIfExists(written.file());
      return false;
    }
    try {
      Files.move(written.file(), files.resolve(expectedSha256), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(written.file());
      throw e;
    }
    return true;
  }

  /** Bytes of every kept package file. */
  long bytes() {
    long total = 0;
    try (DirectoryStream<Path> all = Files.newDirectoryStream(files)) {
      for (Path file : all) {
        total += Files.size(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total;
  }

  /** Removes what interrupted downloads and imports left in {@code tmp/} (older than an hour: an import may be running now). */
  void cleanTemporary() {
    long before = System.currentTimeMillis() - java.time.Duration.ofHours(1).toMillis();
    try (DirectoryStream<Path> all = Files.newDirectoryStream(tmp)) {
      for (Path file : all) {
        if (Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis() < before) {
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one of the lock files beside the packages, if it is there. */
  Optional<byte[]> readLock(String name) {
    Path file = dir.resolve(name);
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > PyodideLock.MAX_BYTES) {
        return Optional.empty();
      }
      return Optional.of(Files.readAllBytes(file));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** When a lock file beside the packages last changed (0 when absent), to notice another process's import. */
  long lockStamp(String name) {
    try {
      Path file = dir.resolve(name);
      return Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() ^ Files.size(file) * 31 : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Replaces one of the lock files beside the packages. */
  void writeLock(String name, byte[] json) {
    try {
      Path temp = Files.createTempFile(tmp, "lock-", ".tmp");
      Files.write(temp, json);
      Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
