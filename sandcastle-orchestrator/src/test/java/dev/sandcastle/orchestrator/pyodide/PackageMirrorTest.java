package dev.sandcastle.orchestrator.pyodide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.TestClock;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The package mirror against a package index the test serves on 127.0.0.1. */
class PackageMirrorTest {
  static final PyodideLock.Info INFO = new PyodideLock.Info("3.14.2", "2026_0", "emscripten_5_0_3", "wasm32");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir
  Path dir;
  private final TestClock clock = new TestClock(Instant.parse("2026-05-01T10:00:00Z"));
  private final List<AutoCloseable> closing = new ArrayList<>();

  /** The bundled lock of these tests: the fixture package and one named "numpy" (another small wheel). */
  static final FixtureWheel FIXTURE = FixtureWheel.sandcastleFixture();
  static final FixtureWheel NUMPY = FixtureWheel.build("numpy", "2.4.6", List.of("numpy"), Map.of("numpy/__init__.py", "pi = 3.14\n"));

  static byte[] bundledLock(FixtureWheel... wheels) {
    return new PyodideLock(INFO, Map.of(), 0).write(Stream.of(wheels).map(FixtureWheel::entry).toList());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private FixtureIndex index() throws Exception {
    FixtureIndex index = FixtureIndex.start(INFO);
    closing.add(index);
    return index;
  }

  private PackageMirror mirror(Optional<URI> index, byte[] bundled) {
    return mirror(PackageMirror.Settings.defaults(index), bundled);
  }

  private PackageMirror mirror(PackageMirror.Settings settings, byte[] bundled) {
    PackageMirror mirror = new PackageMirror(dir.resolve("pyodide"), "314.0.7", bundled, settings, clock);
    closing.add(mirror);
    return mirror;
  }

  private List<Path> kept() throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("pyodide/files"))) {
      return files.toList();
    }
  }

  @Test
  void fetchesALockFileOnceCheckedAndServesItFromTheMirrorAfter() throws Exception {
    FixtureIndex index = index().add(FIXTURE);
    PackageMirror mirror = mirror(Optional.of(index.url()), bundledLock(FIXTURE, NUMPY));

    Path file = mirror.file(FIXTURE.fileName());
    assertThat(Files.readAllBytes(file)).isEqualTo(FIXTURE.bytes());
    assertThat(file.getFileName().toString()).isEqualTo(FIXTURE.sha256());
    assertThat(mirror.file(FIXTURE.fileName())).isEqualTo(file);
    assertThat(index.requests(FIXTURE.fileName())).as("asked the index once").isEqualTo(1);

    PackageMirror.Status status = mirror.status();
    assertThat(status.present()).extracting(PackageMirror.Present::name).containsExactly("sandcastle-fixture");
    assertThat(status.bytes()).isEqualTo(FIXTURE.bytes().length);
    assertThat(status.lockPackages()).isEqualTo(2);
  }

  @Test
  void concurrentRequestsForOneFileDownloadItOnce() throws Exception {
    FixtureIndex index = index().add(FIXTURE);
    index.delay(Duration.ofMillis(700));
    PackageMirror mirror = mirror(Optional.of(index.url()), bundledLock(FIXTURE));
    List<Future<byte[]>> answers = new ArrayList<>();
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 12; i++) {
        Callable<byte[]> client = () -> Files.readAllBytes(mirror.file(FIXTURE.fileName()));
        answers.add(clients.submit(client));
      }
      for (Future<byte[]> answer : answers) {
        assertThat(answer.get()).isEqualTo(FIXTURE.bytes());
      }
    }
    assertThat(index.requests(FIXTURE.fileName())).as("12 clients, one download").isEqualTo(1);
  }

  @Test
  void aTamperedFileIsRefusedNeverKeptAndFetchedAgainOnlyAfterAWhile() throws Exception {
    FixtureIndex index = index().add(FIXTURE);
    byte[] tampered = FIXTURE.bytes().clone();
    tampered[tampered.length / 2] ^= 1;
    index.replace(FIXTURE.fileName(), tampered);
    PackageMirror mirror = mirror(Optional.of(index.url()), bundledLock(FIXTURE));

    assertThatThrownBy(() -> mirror.file(FIXTURE.fileName())).isInstanceOf(Unavailable.class)
        .hasMessageContaining("sandcastle-fixture").hasMessageContaining("does not match the sha256").hasMessageContaining("discarded")
        .hasMessageContaining("--pyodide-index-url").hasMessageContaining("sandcastle pyodide import");
    assertThat(kept()).as("nothing kept").isEmpty();
    try (Stream<Path> temporary = Files.list(dir.resolve("pyodide/tmp"))) {
      assertThat(temporary).as("no partial file left").isEmpty();
    }
    // within a minute the same answer, without asking the index again
    index.replace(FIXTURE.fileName(), FIXTURE.bytes());
    assertThatThrownBy(() -> mirror.file(FIXTURE.fileName())).hasMessageContaining("does not match");
    assertThat(index.requests(FIXTURE.fileName())).isEqualTo(1);
    assertThat(mirror.status().errors()).singleElement().satisfies(error -> {
      assertThat(error.packageName()).isEqualTo("sandcastle-fixture");
      assertThat(error.message()).contains("does not match");
    });

    clock.advance(Duration.ofSeconds(61));
    assertThat(Files.readAllBytes(mirror.file(FIXTURE.fileName()))).isEqualTo(FIXTURE.bytes());
    assertThat(index.requests(FIXTURE.fileName())).isEqualTo(2);
  }

  @Test
  void theIndexsLockAddsPackagesButCannotChangeTheBundledOnes() throws Exception {
    FixtureWheel extra = FixtureWheel.build("extra-tool", "0.1", List.of("extra_tool"), Map.of("extra_tool.py", "X = 1\n"));
    FixtureWheel otherNumpy = FixtureWheel.build("numpy", "2.4.6", List.of("numpy"), Map.of("numpy/__init__.py", "evil = True\n"));
    FixtureIndex index = index().add(extra);
    index.serve(new PyodideLock.Entry("numpy", "numpy", "2.4.6", NUMPY.fileName(), otherNumpy.sha256(), "site", "package",
        List.of("numpy"), List.of(), false), otherNumpy.bytes());
    PackageMirror mirror = mirror(Optional.of(index.url()), bundledLock(NUMPY));

    JsonNode lock = JSON.readTree(mirror.lock());
    assertThat(lock.path("packages").path("extra-tool").path("sha256").asString()).isEqualTo(extra.sha256());
    assertThat(lock.path("packages").path("numpy").path("sha256").asString()).as("the bundled entry stays").isEqualTo(NUMPY.sha256());
    assertThat(lock.path("info").path("python").asString()).isEqualTo("3.14.2");

    assertThat(Files.readAllBytes(mirror.file(extra.fileName()))).isEqualTo(extra.bytes());
    assertThatThrownBy(() -> mirror.file(NUMPY.fileName())).as("the index's numpy is not the bundled lock's")
        .isInstanceOf(Unavailable.class).hasMessageContaining("does not match the sha256");
    assertThat(mirror.status().indexState()).isInstanceOf(PackageMirror.IndexState.Read.class);

    // the additions are remembered: offline, a restarted server still offers what it mirrored
    mirror.close();
    PackageMirror offline = mirror(Optional.empty(), bundledLock(NUMPY));
    assertThat(JSON.readTree(offline.lock()).path("packages").has("extra-tool")).isTrue();
    assertThat(Files.readAllBytes(offline.file(extra.fileName()))).isEqualTo(extra.bytes());
  }

  @Test
  void anIndexBuiltForAnotherPythonAddsNothingAndSaysWhy() throws Exception {
    FixtureWheel extra = FixtureWheel.build("extra-tool", "0.1", List.of("extra_tool"), Map.of("extra_tool.py", "X = 1\n"));
    FixtureIndex other = FixtureIndex.start(new PyodideLock.Info("3.13.2", "2025_0", "emscripten_4_0_9", "wasm32")).add(extra);
    closing.add(other);
    PackageMirror mirror = mirror(Optional.of(other.url()), bundledLock(FIXTURE));

    assertThat(JSON.readTree(mirror.lock()).path("packages").has("extra-tool")).isFalse();
    assertThat(mirror.status().indexState()).isInstanceOfSatisfying(PackageMirror.IndexState.Failed.class,
        failed -> assertThat(failed.message()).contains("not for this Pyodide").contains("Python 3.13.2"));
    assertThatThrownBy(() -> mirror.file(extra.fileName())).isInstanceOf(NotFound.class);
  }

  @Test
  void withoutAnIndexAMissingPackageIsNotFoundNamingTheSettingAndTheImport() {
    PackageMirror mirror = mirror(Optional.empty(), bundledLock(FIXTURE));
    assertThatThrownBy(() -> mirror.file(FIXTURE.fileName())).isInstanceOf(NotFound.class)
        .hasMessageContaining("sandcastle-fixture").hasMessageContaining("--pyodide-index-url is empty")
        .hasMessageContaining("sandcastle pyodide import").hasMessageContaining("314.0.7");
    assertThat(mirror.status().indexState()).isInstanceOf(PackageMirror.IndexState.Off.class);
  }

  @Test
  void onlyFileNamesOfTheLockAreFetchedNeverAPathOrAnotherName() throws Exception {
    FixtureIndex index = index().add(FIXTURE);
    PackageMirror mirror = mirror(Optional.of(index.url()), bundledLock(FIXTURE));
    for (String name : List.of("../../etc/passwd", "..%2f..%2fetc%2fpasswd", "pyodide-lock.json", "other-1.0-py3-none-any.whl",
        "/etc/passwd.whl", "a/b.whl", "", "x".repeat(300) + ".whl")) {
      assertThatThrownBy(() -> mirror.file(name)).as(name).isInstanceOf(NotFound.class);
    }
    assertThat(index.requests()).as("the index was asked for nothing (its lock aside)").allMatch("pyodide-lock.json"::equals);
  }

  @Test
  void anUnreachableIndexFailsQuicklyAndClearly() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    PackageMirror mirror = mirror(Optional.of(URI.create("http://127.0.0.1:" + closed + "/pyodide/")), bundledLock(FIXTURE));
    long started = System.nanoTime();
    assertThatThrownBy(() -> mirror.file(FIXTURE.fileName())).isInstanceOf(Unavailable.class)
        .hasMessageContaining("cannot connect").hasMessageContaining("http://127.0.0.1:" + closed + "/pyodide/");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

    PackageMirror nowhere = mirror(Optional.of(URI.create("https://pyodide-index.invalid/v314.0.7/full/")), bundledLock(FIXTURE));
    started = System.nanoTime();
    assertThatThrownBy(() -> nowhere.file(FIXTURE.fileName())).isInstanceOf(Unavailable.class).hasMessageContaining("pyodide-index.invalid");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    byte[] lock = nowhere.lock();
    assertThat(JSON.readTree(lock).path("packages").has("sandcastle-fixture")).as("the bundled lock is served all the same").isTrue();
    assertThat(nowhere.status().indexState()).isInstanceOf(PackageMirror.IndexState.Failed.class);
  }

  @Test
  void aSlowOrOversizedDownloadIsCutOffAndNotKept() throws Exception {
    FixtureIndex index = index().add(FIXTURE);
    PackageMirror small = mirror(new PackageMirror.Settings(Optional.of(index.url()), Duration.ofSeconds(2), Duration.ofSeconds(1),
        Duration.ofSeconds(5), 1024, 2, Duration.ofSeconds(60), Duration.ofSeconds(1)), bundledLock(FIXTURE));
    assertThatThrownBy(() -> small.file(FIXTURE.fileName())).isInstanceOf(Unavailable.class).hasMessageContaining("larger than");
    assertThat(kept()).isEmpty();

    index.delay(Duration.ofSeconds(4));
    Path slowDir = Files.createDirectories(dir.resolve("slow"));
    PackageMirror slow = new PackageMirror(slowDir, "314.0.7", bundledLock(FIXTURE), new PackageMirror.Settings(Optional.of(index.url()),
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3), 1 << 20, 2, Duration.ofSeconds(60), Duration.ofMillis(200)), clock);
    closing.add(slow);
    long started = System.nanoTime();
    assertThatThrownBy(() -> slow.file(FIXTURE.fileName())).isInstanceOf(Unavailable.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    try (Stream<Path> files = Files.list(slowDir.resolve("files"))) {
      assertThat(files).isEmpty();
    }
  }
}
