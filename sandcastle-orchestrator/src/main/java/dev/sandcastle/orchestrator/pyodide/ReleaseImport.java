package dev.sandcastle.orchestrator.pyodide;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Fills the mirror offline from a downloaded Pyodide release: its folder, or the {@code
 * pyodide-*.tar.bz2} itself (read as a stream: nothing is unpacked by the archive's own paths,
 * only files whose name is a package file of a lock file are kept, by content). Each file is kept
 * only when its sha256 is the one the lock gives: the bundled lock for the packages it names, the
 * release's own lock for packages it adds (when built for the same Python and ABI). The packages a
 * release adds are recorded in the mirror's {@code imported-lock.json}, so the server offers them.
 * May run while the server runs: every write is an atomic rename, and the server notices the new
 * lock.
 */
public final class ReleaseImport {
  private final MirrorFiles files;
  private final PyodideLock bundled;
  private final long maxFileBytes;

  /** @param bundledLock the bundled Pyodide's {@code pyodide-lock.json} */
  public ReleaseImport(Path mirrorDir, byte[] bundledLock, long maxFileBytes) {
    this.files = new MirrorFiles(mirrorDir);
    this.bundled = PyodideLock.parse(bundledLock);
    this.maxFileBytes = maxFileBytes;
  }

  /**
   * What an import did.
   *
   * @param imported files newly kept
   * @param alreadyPresent files of the release the mirror had already
   * @param mismatched files named by a lock whose content did not match its sha256 (not kept)
   * @param added packages the release adds to the bundled lock, now offered
   * @param note why the release's own packages were not added, if they were not
   */
  public record Result(int imported, long importedBytes, int alreadyPresent, List<String> mismatched, int added, int lockPackages,
      int present, Optional<String> note) {}

  /** Thrown when the source cannot be read as a release. */
  public static final class Unusable extends RuntimeException {
    Unusable(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Imports a release folder or a {@code .tar.bz2} (or {@code .tar}) of one.
   *
   * @throws Unusable the source is neither, or cannot be read
   */
  public Result run(Path source) {
    try {
      if (Files.isDirectory(source)) {
        Path dir = Files.isRegularFile(source.resolve("pyodide-lock.json")) || !Files.isDirectory(source.resolve("pyodide"))
            ? source : source.resolve("pyodide");
        return importFrom(new Folder(dir));
      }
      String name = source.getFileName().toString();
      if (Files.isRegularFile(source) && (name.endsWith(".tar.bz2") || name.endsWith(".tbz2") || name.endsWith(".tar"))) {
        try (Archive archive = new Archive(source, !name.endsWith(".tar"))) {
          return importFrom(archive);
        }
      }
      throw new Unusable(source + " is neither a folder nor a .tar.bz2 file");
    } catch (IOException e) {
      throw new Unusable("cannot read " + source + ": " + IndexClient.describe(e));
    } catch (UncheckedIOException e) {
      throw new Unusable("cannot read " + source + ": " + IndexClient.describe(e.getCause()));
    }
  }

  /** A release's files by name. */
  private interface Release {
    Optional<byte[]> lock() throws IOException;

    boolean has(String fileName);

    /** The named file copied into the mirror's temporary folder, or empty when the release lacks it. */
    Optional<MirrorFiles.Written> take(String fileName) throws IOException;
  }

  private Result importFrom(Release release) throws IOException {
    List<PyodideLock.Entry> previous = files.readLock(MirrorFiles.IMPORTED_LOCK).map(this::additions).orElse(List.of());
    List<PyodideLock.Entry> offered = new ArrayList<>();
    Optional<String> note = Optional.empty();
    Optional<byte[]> releaseLock = release.lock();
    if (releaseLock.isEmpty()) {
      note = Optional.of("the release has no pyodide-lock.json: only packages of the bundled lock were imported");
    } else {
      try {
        offered = bundled.plus(previous).additionsFrom(PyodideLock.parse(releaseLock.get()));
      } catch (PyodideLock.Unreadable | IllegalArgumentException e) {
        note = Optional.of("the release's own packages were not added: " + e.getMessage());
      }
    }
    PyodideLock all = bundled.plus(previous).plus(offered);
    int imported = 0;
    int alreadyPresent = 0;
    long bytes = 0;
    List<String> mismatched = new ArrayList<>();
    for (PyodideLock.Entry entry : all.packages().values()) {
      if (files.find(entry.sha256()).isPresent()) {
        if (release.has(entry.fileName())) {
          alreadyPresent++;
        }
        continue;
      }
      Optional<MirrorFiles.Written> taken = release.take(entry.fileName());
      if (taken.isEmpty()) {
        continue;
      }
      if (files.keepIfVerified(taken.get(), entry.sha256())) {
        imported++;
        bytes += taken.get().size();
      } else {
        mismatched.add(entry.fileName());
      }
    }
    List<PyodideLock.Entry> recorded = new ArrayList<>(previous);
    int added = 0;
    for (PyodideLock.Entry entry : offered) {
      if (files.find(entry.sha256()).isPresent()) {
        recorded.add(entry);
        added++;
      }
    }
    if (added > 0) {
      files.writeLock(MirrorFiles.IMPORTED_LOCK, bundled.write(recorded));
    }
    PyodideLock offeredNow = bundled.plus(recorded);
    int present = (int) offeredNow.packages().values().stream().filter(e -> files.find(e.sha256()).isPresent()).count();
    return new Result(imported, bytes, alreadyPresent, mismatched, added, offeredNow.packages().size(), present, note);
  }

  private MirrorFiles.Written discard(MirrorFiles.Written written) {
    try {
      Files.deleteIfExists(written.file());
    } catch (IOException e) {
      // a temporary file: cleaned later
    }
    return written;
  }

  private List<PyodideLock.Entry> additions(byte[] json) {
    try {
      return bundled.additionsFrom(PyodideLock.parse(json));
    } catch (PyodideLock.Unreadable | IllegalArgumentException e) {
      return List.of();
    }
  }

  /** A release folder: files are read by name, never by a path from elsewhere. */
  private final class Folder implements Release {
    private final Path dir;

    Folder(Path dir) {
      this.dir = dir;
    }

    @Override
    public Optional<byte[]> lock() throws IOException {
      Path lock = dir.resolve("pyodide-lock.json");
      if (!Files.isRegularFile(lock)) {
        return Optional.empty();
      }
      if (Files.size(lock) > PyodideLock.MAX_BYTES) {
        throw new Unusable(lock + " is larger than " + (PyodideLock.MAX_BYTES >> 20) + " MiB");
      }
      return Optional.of(Files.readAllBytes(lock));
    }

    @Override
    public boolean has(String fileName) {
      return Files.isRegularFile(dir.resolve(fileName), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Optional<MirrorFiles.Written> take(String fileName) throws IOException {
      Path file = dir.resolve(fileName); // fileName passed the lock's pattern: one plain path segment
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.of(files.receive(in, maxFileBytes));
      } catch (MirrorFiles.TooLarge e) {
        return Optional.empty();
      }
    }
  }

  /**
   * A release archive, read once as a stream: package files are copied into the mirror's temporary
   * folder under random names (their base name must be a package file name; links, devices and
   * folders are skipped), the shallowest {@code pyodide-lock.json} is kept in memory.
   */
  private final class Archive implements Release, AutoCloseable {
    private final Map<String, MirrorFiles.Written> staged = new LinkedHashMap<>();
    private byte[] lock;

    Archive(Path tar, boolean bzip2) throws IOException {
      Set<String> known = new HashSet<>();
      bundled.packages().values().forEach(e -> known.add(e.fileName()));
      int lockDepth = Integer.MAX_VALUE;
      try (InputStream raw = new BufferedInputStream(Files.newInputStream(tar), 1 << 16);
          InputStream plain = bzip2 ? new BZip2CompressorInputStream(raw, true) : raw;
          TarArchiveInputStream in = new TarArchiveInputStream(plain)) {
        TarArchiveEntry entry;
        while ((entry = in.getNextEntry()) != null) {
          byte flag = entry.getLinkFlag();
          if (flag != TarConstants.LF_NORMAL && flag != TarConstants.LF_OLDNORM || entry.isDirectory()) {
            continue;
          }
          String path = entry.getName();
          String base = path.substring(path.lastIndexOf('/') + 1);
          int depth = path.split("/").length;
          if (base.equals("pyodide-lock.json") && depth < lockDepth && entry.getSize() <= PyodideLock.MAX_BYTES) {
            lock = in.readNBytes(PyodideLock.MAX_BYTES);
            lockDepth = depth;
            known.addAll(fileNames(lock));
          } else if (PyodideLock.FILE_NAME.matcher(base).matches() && !staged.containsKey(base) && (lock == null || known.contains(base))) {
            try {
              staged.put(base, files.receive(in, maxFileBytes));
            } catch (MirrorFiles.TooLarge e) {
              // not a package of any lock: they are smaller
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    private Set<String> fileNames(byte[] json) {
      try {
        Set<String> names = new HashSet<>();
        PyodideLock.parse(json).packages().values().forEach(e -> names.add(e.fileName()));
        return names;
      } catch (PyodideLock.Unreadable e) {
        return Set.of();
      }
    }

    @Override
    public Optional<byte[]> lock() {
      return Optional.ofNullable(lock);
    }

    @Override
    public boolean has(String fileName) {
      return staged.containsKey(fileName);
    }

    @Override
    public Optional<MirrorFiles.Written> take(String fileName) {
      return Optional.ofNullable(staged.remove(fileName));
    }

    @Override
    public void close() {
      staged.values().forEach(ReleaseImport.this::discard);
      staged.clear();
    }
  }
}
