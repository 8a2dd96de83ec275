package dev.sandcastle.orchestrator.pyodide;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pyodide's packages, served from this server: the files named by the lock file of the bundled
 * Pyodide, each kept once it was checked against that lock's sha256 (see {@link MirrorFiles}),
 * filled offline by {@link ReleaseImport} and on demand from a package index.
 *
 * <p>Which lock counts: the bundled lock is the authority. A file it names is accepted only with
 * the sha256 it gives, whatever an index says. An index's own lock (or an imported release's) may
 * add packages the bundled one lacks, when it was built for the same Python and ABI; those are
 * checked against the sha256 in that lock. The lock the browser gets is the bundled one with these
 * additions.
 *
 * <p>On demand: the first request for a missing file downloads it (at most {@code parallel}
 * downloads at once); concurrent requests for the same file wait for that one download. A file
 * whose digest does not match is deleted and never served. A failure is remembered for {@code
 * retryAfter}: requests in that time get the same answer at once instead of asking the index again,
 * so clients cannot make the server hammer a failing index.
 *
 * <p>Threads: every method may be called from any thread; {@link #file} blocks its caller (a
 * virtual thread of the server) while the download runs on a thread of its own, which finishes
 * even when the caller gives up.
 */
public final class PackageMirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PackageMirror.class);
  private static final int KEPT_ERRORS = 50;

  /**
   * @param index the package index (its URL ends with '/'), or empty for the offline mirror only
   * @param lockWait how long a request for the lock file waits for the index's lock when it is being read
   */
  public record Settings(Optional<URI> index, Duration connect, Duration stall, Duration total, long maxFileBytes, int parallel,
      Duration retryAfter, Duration lockWait) {
    public Settings {
      Objects.requireNonNull(index, "index");
      if (parallel < 1 || maxFileBytes < 1) {
        throw new IllegalArgumentException("parallel and maxFileBytes must be positive");
      }
    }

    /** Connect 5 s, stall 30 s, 10 min and 256 MiB a file, 4 downloads at once, failures remembered 60 s. */
    public static Settings defaults(Optional<URI> index) {
      return new Settings(index, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(10), 256L << 20, 4,
          Duration.ofSeconds(60), Duration.ofSeconds(5));
    }
  }

  /** A failed fetch, as the admin dashboard lists it. */
  public record FetchError(Instant at, String packageName, String fileName, String message) {}

  /** What the index's lock file gave, as last read. */
  public sealed interface IndexState {
    /** No index is set: the mirror is filled offline only. */
    record Off() implements IndexState {}

    /** Not read yet. */
    record Unchecked() implements IndexState {}

    record Read(Instant at, int added) implements IndexState {}

    record Failed(Instant at, String message) implements IndexState {}
  }

  /** A package the mirror has. */
  public record Present(String name, String version, String fileName, long bytes) {}

  /** The mirror as the admin dashboard shows it. */
  public record Status(String pyodideVersion, Optional<URI> index, IndexState indexState, int lockPackages, List<Present> present,
      long bytes, List<String> downloading, List<FetchError> errors) {}

  private record Effective(PyodideLock lock, Map<String, PyodideLock.Entry> byFile, byte[] json, long importedStamp) {}

  private final MirrorFiles files;
  private final String version;
  private final ObjectNode bundledTree;
  private final PyodideLock bundled;
  private final Settings settings;
  private final Optional<IndexClient> client;
  private final Clock clock;
  private final Semaphore downloads;
  private final Map<String, CompletableFuture<Path>> inflight = new ConcurrentHashMap<>();
  private final Map<String, FetchError> failures = new ConcurrentHashMap<>();
  private final Deque<FetchError> recentErrors = new ArrayDeque<>();
  private final AtomicReference<CompletableFuture<Void>> indexRead = new AtomicReference<>();
  private volatile List<PyodideLock.Entry> indexAdditions;
  private volatile IndexState indexState;
  private volatile Effective effective;

  PackageMirror(Path dir, String version, byte[] bundledLock, Settings settings, Clock clock) {
    this.files = new MirrorFiles(dir);
    this.version = version;
    this.bundledTree = PyodideLock.tree(bundledLock);
    this.bundled = PyodideLock.fromTree(bundledTree);
    this.settings = settings;
    this.clock = clock;
    this.downloads = new Semaphore(settings.parallel());
    this.client = settings.index().map(index -> new IndexClient(index, new IndexClient.Limits(settings.connect(), settings.stall(),
        settings.total(), settings.maxFileBytes())));
    this.indexState = client.isPresent() ? new IndexState.Unchecked() : new IndexState.Off();
    this.indexAdditions = files.readLock(MirrorFiles.INDEX_LOCK).map(this::additionsOf).orElse(List.of());
    files.cleanTemporary();
    this.effective = compute();
  }

  /**
   * Opens the mirror in {@code dir} (made when missing) and, with an index, starts reading the
   * index's lock file in the background.
   *
   * @param version the bundled Pyodide's version, for messages
   * @param bundledLock the bundled Pyodide's {@code pyodide-lock.json}
   */
  public static PackageMirror open(Path dir, String version, byte[] bundledLock, Settings settings) {
    PackageMirror mirror = new PackageMirror(dir, version, bundledLock, settings, Clock.systemUTC());
    mirror.readIndexLock();
    return mirror;
  }

  /**
   * The lock file for the browser: the bundled one with the packages that imports and the index
   * added. Before the index's lock was first read, waits for it up to {@code lockWait}; after a
   * failure, asks again in the background once {@code retryAfter} has passed, without waiting.
   */
  public byte[] lock() {
    IndexState state = indexState;
    if (state instanceof IndexState.Unchecked) {
      try {
        readIndexLock().get(settings.lockWait().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // served without the index's additions this time; its state says why
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else if (state instanceof IndexState.Failed failed && retryDue(failed.at())) {
      readIndexLock();
    }
    return current().json();
  }

  /**
   * The verified file for a name of the lock file, downloading it first when the mirror lacks it.
   *
   * @throws NotFound the name is not a package file of the lock, or the file is not mirrored and
   *     no index is set
   * @throws Unavailable the index could not give a good copy (the message says why), now or within
   *     the last {@code retryAfter}, or the download is still running after {@code total}
   */
  public Path file(String fileName) {
    if (!PyodideLock.FILE_NAME.matcher(fileName).matches()) {
      throw new NotFound("not a Pyodide package file name");
    }
    PyodideLock.Entry entry = current().byFile().get(fileName);
    if (entry == null) {
      throw new NotFound(fileName + " is not a package of the lock file of this server's Pyodide " + version);
    }
    Optional<Path> kept = files.find(entry.sha256());
    if (kept.isPresent()) {
      return kept.get();
    }
    if (client.isEmpty()) {
      throw new NotFound("Pyodide package " + entry.name() + " (" + fileName + ") is not in this server's package mirror, and no package"
          + " index is set (--pyodide-index-url is empty): an administrator can add it with 'sandcastle pyodide import' and a Pyodide "
          + version + " release");
    }
    FetchError failed = failures.get(entry.sha256());
    if (failed != null && !retryDue(failed.at())) {
      throw new Unavailable(failed.message());
    }
    CompletableFuture<Path> mine = new CompletableFuture<>();
    CompletableFuture<Path> running = inflight.putIfAbsent(entry.sha256(), mine);
    if (running == null) {
      running = mine;
      Thread.ofVirtual().name("pyodide-fetch").start(() -> download(entry, mine));
    }
    try {
      return running.get(settings.total().toMillis() + settings.connect().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Unavailable u ? u : new Unavailable(unavailable(entry, IndexClient.describe(e.getCause())));
    } catch (TimeoutException e) {
      throw new Unavailable("Pyodide package " + entry.name() + " is still being downloaded; try again shortly");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("the server is shutting down");
    }
  }

  /**
   * Downloads and checks one file, then completes {@code result}. The future leaves {@link
   * #inflight} before it completes, so a request after a failure starts a new download rather
   * than finding the finished one.
   */
  private void download(PyodideLock.Entry entry, CompletableFuture<Path> result) {
    Path kept = null;
    Unavailable failed = null;
    try {
      kept = fetch(entry);
    } catch (IndexClient.Failure | IOException | UncheckedIOException e) {
      String reason = e instanceof IndexClient.Failure ? e.getMessage() : IndexClient.describe(e);
      FetchError error = new FetchError(clock.instant(), entry.name(), entry.fileName(), unavailable(entry, reason));
      failures.put(entry.sha256(), error);
      remember(error);
      log.warn("Pyodide package mirror: {}", error.message());
      failed = new Unavailable(error.message());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failed = new Unavailable("the server is shutting down");
    } catch (RuntimeException e) {
      log.error("Pyodide package mirror: fetching {} failed", entry.fileName(), e);
      failed = new Unavailable(unavailable(entry, "an internal error (the server log has the details)"));
    } finally {
      inflight.remove(entry.sha256(), result);
      if (kept != null) {
        result.complete(kept);
      } else {
        result.completeExceptionally(failed != null ? failed : new Unavailable(unavailable(entry, "the download ended without a file")));
      }
    }
  }

  private Path fetch(PyodideLock.Entry entry) throws IOException, InterruptedException {
    downloads.acquire();
    try {
      Optional<Path> kept = files.find(entry.sha256()); // another process (an import) may have brought it meanwhile
      if (kept.isPresent()) {
        return kept.get();
      }
      MirrorFiles.Written written = client.orElseThrow().fetch(entry.fileName(), files);
      if (!files.keepIfVerified(written, entry.sha256())) {
        throw new IndexClient.Failure("the file it served (" + written.size() + " bytes, sha256 " + written.sha256()
            + ") does not match the sha256 in the lock file, so it was discarded");
      }
      failures.remove(entry.sha256());
      log.info("Pyodide package mirror: fetched {} ({} bytes) from {}", entry.fileName(), written.size(), client.get().index());
      return files.find(entry.sha256()).orElseThrow();
    } finally {
      downloads.release();
    }
  }

  private String unavailable(PyodideLock.Entry entry, String reason) {
    return "Pyodide package " + entry.name() + " (" + entry.fileName() + ") is not in this server's package mirror and could not be"
        + " fetched from the package index " + client.map(IndexClient::index).map(URI::toString).orElse("") + " (--pyodide-index-url): "
        + reason + ". An administrator can fill the mirror offline with 'sandcastle pyodide import' and a Pyodide " + version + " release.";
  }

  private boolean retryDue(Instant failedAt) {
    return !clock.instant().isBefore(failedAt.plus(settings.retryAfter()));
  }

  private void remember(FetchError error) {
    synchronized (recentErrors) {
      recentErrors.addFirst(error);
      while (recentErrors.size() > KEPT_ERRORS) {
        recentErrors.removeLast();
      }
    }
  }

  /** Reads the index's lock file once at a time, in the background; its additions join the lock. */
  private CompletableFuture<Void> readIndexLock() {
    if (client.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = indexRead.compareAndExchange(null, mine);
    if (running != null) {
      return running;
    }
    Thread.ofVirtual().name("pyodide-index-lock").start(() -> {
      try {
        byte[] json = client.get().lock();
        PyodideLock theirs;
        try {
          theirs = PyodideLock.parse(json);
        } catch (PyodideLock.Unreadable e) {
          throw new IndexClient.Failure(e.getMessage());
        }
        List<PyodideLock.Entry> added;
        try {
          added = bundled.additionsFrom(theirs);
        } catch (IllegalArgumentException e) {
          throw new IndexClient.Failure("its lock file is not for this Pyodide: " + e.getMessage());
        }
        files.writeLock(MirrorFiles.INDEX_LOCK, bundled.write(added));
        indexAdditions = added;
        indexState = new IndexState.Read(clock.instant(), added.size());
        effective = compute();
        log.info("Pyodide package mirror: read the lock file of {} ({} packages beyond the bundled {}{})", client.get().index(),
            added.size(), bundled.packages().size(), theirs.rejected() > 0 ? "; " + theirs.rejected() + " entries were invalid and left out" : "");
      } catch (IndexClient.Failure | UncheckedIOException e) {
        indexState = new IndexState.Failed(clock.instant(), "cannot read the lock file of the package index " + client.get().index()
            + " (--pyodide-index-url): " + e.getMessage());
        log.warn("Pyodide package mirror: {}; packages it lacks are fetched from the index when asked for, the others need"
            + " 'sandcastle pyodide import'", ((IndexState.Failed) indexState).message());
      } catch (RuntimeException e) {
        indexState = new IndexState.Failed(clock.instant(), "cannot read the lock file of the package index: internal error");
        log.error("Pyodide package mirror: reading the index's lock file failed", e);
      } finally {
        indexRead.set(null);
        mine.complete(null);
      }
    });
    return mine;
  }

  /** The current lock, recomputed when an import (perhaps by another process) changed the imported packages. */
  private Effective current() {
    Effective now = effective;
    if (now.importedStamp() != files.lockStamp(MirrorFiles.IMPORTED_LOCK)) {
      synchronized (this) {
        now = effective;
        if (now.importedStamp() != files.lockStamp(MirrorFiles.IMPORTED_LOCK)) {
          effective = now = compute();
        }
      }
    }
    return now;
  }

  private Effective compute() {
    long stamp = files.lockStamp(MirrorFiles.IMPORTED_LOCK);
    List<PyodideLock.Entry> imported = files.readLock(MirrorFiles.IMPORTED_LOCK).map(this::additionsOf).orElse(List.of());
    PyodideLock withImported = bundled.plus(imported);
    List<PyodideLock.Entry> fromIndex = withImported.additionsFrom(bundled.withOnly(indexAdditions));
    List<PyodideLock.Entry> all = new ArrayList<>(imported);
    all.addAll(fromIndex);
    PyodideLock lock = bundled.plus(all);
    Map<String, PyodideLock.Entry> byFile = new HashMap<>();
    lock.packages().values().forEach(e -> byFile.put(e.fileName(), e));
    return new Effective(lock, Map.copyOf(byFile), PyodideLock.extend(bundledTree, all), stamp);
  }

  /** The packages a stored lock adds to the bundled one; none when it no longer fits (another Pyodide was bundled since). */
  private List<PyodideLock.Entry> additionsOf(byte[] json) {
    try {
      return bundled.additionsFrom(PyodideLock.parse(json));
    } catch (PyodideLock.Unreadable | IllegalArgumentException e) {
      return List.of();
    }
  }

  /** The mirror's contents, the index's state and the recent failures. */
  public Status status() {
    Effective now = current();
    List<Present> present = new ArrayList<>();
    for (PyodideLock.Entry entry : now.lock().packages().values()) {
      files.find(entry.sha256()).ifPresent(file -> {
        try {
          present.add(new Present(entry.name(), entry.version(), entry.fileName(), Files.size(file)));
        } catch (IOException e) {
          // removed meanwhile
        }
      });
    }
    List<String> downloading = new ArrayList<>();
    now.lock().packages().values().stream().filter(e -> inflight.containsKey(e.sha256())).forEach(e -> downloading.add(e.name()));
    List<FetchError> errors;
    synchronized (recentErrors) {
      errors = List.copyOf(recentErrors);
    }
    return new Status(version, client.map(IndexClient::index), indexState, now.lock().packages().size(), present, files.bytes(),
        downloading, errors);
  }

  @Override
  public void close() {
    client.ifPresent(IndexClient::close);
  }
}
