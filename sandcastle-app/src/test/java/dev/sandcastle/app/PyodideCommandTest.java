package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.orchestrator.pyodide.FixtureWheel;
import dev.sandcastle.orchestrator.pyodide.PackageMirror;
import dev.sandcastle.orchestrator.pyodide.PyodideLock;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** {@code sandcastle pyodide import} against the real bundled Pyodide, with a release the test makes. */
class PyodideCommandTest {
  private static final FixtureWheel FIXTURE = FixtureWheel.sandcastleFixture();

  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** A release of the bundled Pyodide: its lock plus the fixture package, the fixture's wheel, and a numpy wheel that is not numpy's. */
  private Map<String, byte[]> release() {
    Pyodide.Bundle bundle = Pyodide.bundled().orElseThrow();
    PyodideLock bundled = PyodideLock.parse(bundle.lock());
    PyodideLock.Entry numpy = bundled.packages().get("numpy");
    return Map.of("pyodide-lock.json", bundled.write(List.of(numpy, FIXTURE.entry())),
        FIXTURE.fileName(), FIXTURE.bytes(),
        numpy.fileName(), "not numpy".getBytes());
  }

  @Test
  void theDefaultIndexIsPyodidesCdnForExactlyTheBundledVersion() {
    Pyodide.Bundle bundle = Pyodide.bundled().orElseThrow(() -> new AssertionError("the web front end (and its Pyodide) is built"));
    assertThat(Setting.PYODIDE_INDEX_URL.fallback).isEqualTo("https://cdn.jsdelivr.net/pyodide/v" + bundle.version() + "/full/");
    assertThat(Config.load(Map.of(), Map.of(), 8080).interpreter().pyodideIndex()).hasValueSatisfying(
        index -> assertThat(index.toString()).contains(bundle.version()));
    assertThat(Config.load(Map.of(Setting.PYODIDE_INDEX_URL, ""), Map.of(), 8080).interpreter().pyodideIndex()).isEmpty();
    assertThat(Config.load(Map.of(Setting.PYODIDE_INDEX_URL, "http://mirror.example/pyodide"), Map.of(), 8080).interpreter().pyodideIndex())
        .hasValueSatisfying(index -> assertThat(index.toString()).isEqualTo("http://mirror.example/pyodide/"));
    for (String bad : List.of("file:///srv/pyodide/", "ftp://mirror.example/", "http://mirror.example/?x=1")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Config.load(Map.of(Setting.PYODIDE_INDEX_URL, bad), Map.of(), 8080))
          .as(bad).isInstanceOf(Config.Invalid.class).hasMessageContaining("--pyodide-index-url");
    }
  }

  @Test
  void importsAReleaseFolderAndATarballIntoTheDataDirectory() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("pyodide-release/pyodide"));
    for (var file : release().entrySet()) {
      Files.write(folder.resolve(file.getKey()), file.getValue());
    }
    Path data = dir.resolve("data");
    Run first = run("pyodide", "import", dir.resolve("pyodide-release").toString(), "--data-dir", data.toString());
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).contains("Imported 1 package file").contains("Not kept").contains("numpy-")
        .contains("adds 1 package").contains("The mirror has 1 of the " + (PyodideLock.parse(Pyodide.bundled().orElseThrow().lock())
            .packages().size() + 1) + " packages");

    try (PackageMirror mirror = PackageMirror.open(data.resolve("pyodide"), "test", Pyodide.bundled().orElseThrow().lock(),
        PackageMirror.Settings.defaults(Optional.empty()))) {
      assertThat(Files.readAllBytes(mirror.file(FIXTURE.fileName()))).isEqualTo(FIXTURE.bytes());
      assertThat(JsonMapper.builder().build().readTree(mirror.lock()).path("packages").has("sandcastle-fixture")).isTrue();
    }

    Path tarball = dir.resolve("pyodide-release.tar.bz2");
    try (OutputStream file = Files.newOutputStream(tarball);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new BZip2CompressorOutputStream(file))) {
      for (var entry : release().entrySet()) {
        TarArchiveEntry regular = new TarArchiveEntry("pyodide/" + entry.getKey());
        regular.setSize(entry.getValue().length);
        tar.putArchiveEntry(regular);
        tar.write(entry.getValue());
        tar.closeArchiveEntry();
      }
    }
    Path other = dir.resolve("other-data");
    Run fromTar = run("pyodide", "import", tarball.toString(), "--data-dir", other.toString());
    assertThat(fromTar.code()).as(fromTar.err()).isZero();
    assertThat(fromTar.out()).contains("Imported 1 package file");
    assertThat(other.resolve("pyodide/files/" + FIXTURE.sha256())).exists();
  }

  @Test
  void somethingThatIsNotAReleaseOfThisPyodideFailsWithAClearMessage() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Run nothing = run("pyodide", "import", empty.toString(), "--data-dir", dir.resolve("data").toString());
    assertThat(nothing.code()).isEqualTo(1);
    assertThat(nothing.err()).contains("none of its files").contains("pyodide-" + Pyodide.bundled().orElseThrow().version() + ".tar.bz2");

    Run missing = run("pyodide", "import", dir.resolve("nowhere.tar.bz2").toString(), "--data-dir", dir.resolve("data").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("neither a folder nor a .tar.bz2");

    Run wrong = run("pyodide", "export", empty.toString());
    assertThat(wrong.code()).isEqualTo(2);
    assertThat(wrong.err()).contains("the only action is 'import'");
  }
}
