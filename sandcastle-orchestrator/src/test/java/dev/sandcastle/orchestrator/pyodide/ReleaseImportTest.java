package dev.sandcastle.orchestrator.pyodide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.NotFound;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** {@code sandcastle pyodide import}: a release folder or tarball the test makes, into a mirror a server may be serving. */
class ReleaseImportTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final FixtureWheel FIXTURE = PackageMirrorTest.FIXTURE;
  private static final FixtureWheel NUMPY = PackageMirrorTest.NUMPY;
  private static final FixtureWheel PANDAS = FixtureWheel.build("pandas", "3.0.2", List.of("pandas"), Map.of("pandas/__init__.py", "\n"));
  /** A package the release adds (the bundled lock lacks it). */
  private static final FixtureWheel EXTRA = FixtureWheel.build("extra-tool", "0.1", List.of("extra_tool"), Map.of("extra_tool.py", "X = 1\n"));
  private static final byte[] BUNDLED = PackageMirrorTest.bundledLock(FIXTURE, NUMPY, PANDAS);

  @TempDir
  Path dir;

  /** The release's files: its lock (the bundled packages and EXTRA), FIXTURE and EXTRA as they are, PANDAS altered, numpy missing. */
  private Map<String, byte[]> release(PyodideLock.Info info) {
    byte[] pandas = PANDAS.bytes().clone();
    pandas[20] ^= 1;
    return Map.of(
        "pyodide-lock.json", new PyodideLock(info, Map.of(), 0).write(List.of(FIXTURE.entry(), NUMPY.entry(), PANDAS.entry(), EXTRA.entry())),
        FIXTURE.fileName(), FIXTURE.bytes(),
        PANDAS.fileName(), pandas,
        EXTRA.fileName(), EXTRA.bytes(),
        "pyodide.asm.wasm", new byte[] {0, 'a', 's', 'm'},
        "python_stdlib.zip", new byte[] {'P', 'K', 5, 6});
  }

  private Path folder(Map<String, byte[]> files) throws IOException {
    Path release = Files.createDirectories(dir.resolve("release/pyodide"));
    for (var file : files.entrySet()) {
      Files.write(release.resolve(file.getKey()), file.getValue());
    }
    return dir.resolve("release");
  }

  private Path mirrorDir() {
    return dir.resolve("data/pyodide");
  }

  private List<String> kept() throws IOException {
    try (Stream<Path> files = Files.list(mirrorDir().resolve("files"))) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private void assertImported(ReleaseImport.Result result) throws Exception {
    assertThat(result.imported()).isEqualTo(2);
    assertThat(result.importedBytes()).isEqualTo(FIXTURE.bytes().length + EXTRA.bytes().length);
    assertThat(result.mismatched()).containsExactly(PANDAS.fileName());
    assertThat(result.added()).isEqualTo(1);
    assertThat(result.present()).isEqualTo(2);
    assertThat(result.lockPackages()).isEqualTo(4);
    assertThat(kept()).containsExactlyInAnyOrder(FIXTURE.sha256(), EXTRA.sha256());

    // a server without an index serves what was imported, the added package included
    try (PackageMirror mirror = PackageMirror.open(mirrorDir(), "314.0.7", BUNDLED, PackageMirror.Settings.defaults(Optional.empty()))) {
      assertThat(Files.readAllBytes(mirror.file(FIXTURE.fileName()))).isEqualTo(FIXTURE.bytes());
      assertThat(Files.readAllBytes(mirror.file(EXTRA.fileName()))).isEqualTo(EXTRA.bytes());
      assertThat(JSON.readTree(mirror.lock()).path("packages").path("extra-tool").path("sha256").asString()).isEqualTo(EXTRA.sha256());
      assertThatThrownBy(() -> mirror.file(PANDAS.fileName())).isInstanceOf(NotFound.class);
    }
  }

  @Test
  void importsAReleaseFolderCheckingEveryFileAgainstItsLock() throws Exception {
    Path release = folder(release(PackageMirrorTest.INFO));
    ReleaseImport.Result result = new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(release);
    assertImported(result);
    assertThat(result.note()).isEmpty();

    ReleaseImport.Result again = new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(release.resolve("pyodide"));
    assertThat(again.imported()).isZero();
    assertThat(again.alreadyPresent()).isEqualTo(2);
    assertThat(again.added()).isZero();
    assertThat(again.present()).as("the earlier additions are kept").isEqualTo(2);
  }

  @Test
  void importsATarBz2AsAStreamKeepingNothingButVerifiedPackages() throws Exception {
    Path tarball = dir.resolve("pyodide-314.0.7.tar.bz2");
    try (OutputStream file = Files.newOutputStream(tarball);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new BZip2CompressorOutputStream(file))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      // hostile entries first: a link named like a package, a path out of the folder, a device
      TarArchiveEntry link = new TarArchiveEntry("pyodide/" + NUMPY.fileName(), TarConstants.LF_SYMLINK);
      link.setLinkName("/etc/passwd");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
      byte[] evil = "not a wheel".getBytes();
      TarArchiveEntry outside = new TarArchiveEntry("../../outside-1.0-py3-none-any.whl", true);
      outside.setSize(evil.length);
      tar.putArchiveEntry(outside);
      tar.write(evil);
      tar.closeArchiveEntry();
      for (var entry : release(PackageMirrorTest.INFO).entrySet()) {
        TarArchiveEntry regular = new TarArchiveEntry("pyodide/" + entry.getKey());
        regular.setSize(entry.getValue().length);
        tar.putArchiveEntry(regular);
        tar.write(entry.getValue());
        tar.closeArchiveEntry();
      }
    }
    ReleaseImport.Result result = new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(tarball);
    assertImported(result);
    assertThat(Files.exists(dir.resolve("outside-1.0-py3-none-any.whl"))).isFalse();
    try (Stream<Path> everything = Files.walk(dir.resolve("data"))) {
      assertThat(everything.filter(Files::isSymbolicLink)).isEmpty();
    }
    try (Stream<Path> temporary = Files.list(mirrorDir().resolve("tmp"))) {
      assertThat(temporary).as("staged files that matched no lock are removed").isEmpty();
    }
  }

  @Test
  void aReleaseOfAnotherPyodideImportsNothingAndSaysWhy() throws Exception {
    Map<String, byte[]> other = new java.util.HashMap<>(release(new PyodideLock.Info("3.13.2", "2025_0", "emscripten_4_0_9", "wasm32")));
    other.remove(FIXTURE.fileName());
    ReleaseImport.Result result = new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(folder(other));
    assertThat(result.imported()).isZero();
    assertThat(result.added()).isZero();
    assertThat(result.note()).hasValueSatisfying(note -> assertThat(note).contains("Python 3.13.2"));
    assertThat(kept()).isEmpty();
  }

  @Test
  void aRunningServerOffersWhatAnImportBroughtWithoutARestart() throws Exception {
    try (PackageMirror mirror = PackageMirror.open(mirrorDir(), "314.0.7", BUNDLED, PackageMirror.Settings.defaults(Optional.empty()))) {
      assertThatThrownBy(() -> mirror.file(FIXTURE.fileName())).isInstanceOf(NotFound.class);
      assertThat(JSON.readTree(mirror.lock()).path("packages").has("extra-tool")).isFalse();

      new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(folder(release(PackageMirrorTest.INFO)));

      assertThat(Files.readAllBytes(mirror.file(FIXTURE.fileName()))).isEqualTo(FIXTURE.bytes());
      assertThat(JSON.readTree(mirror.lock()).path("packages").has("extra-tool")).isTrue();
      assertThat(mirror.status().present()).extracting(PackageMirror.Present::name).containsExactlyInAnyOrder("sandcastle-fixture", "extra-tool");
    }
  }

  @Test
  void somethingElseIsRefusedClearly() throws Exception {
    Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
    assertThatThrownBy(() -> new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(text)).isInstanceOf(ReleaseImport.Unusable.class)
        .hasMessageContaining("neither a folder nor a .tar.bz2");
    Path broken = Files.writeString(dir.resolve("broken.tar.bz2"), "not bzip2");
    assertThatThrownBy(() -> new ReleaseImport(mirrorDir(), BUNDLED, 1 << 20).run(broken)).isInstanceOf(ReleaseImport.Unusable.class)
        .hasMessageContaining("cannot read");
  }
}
