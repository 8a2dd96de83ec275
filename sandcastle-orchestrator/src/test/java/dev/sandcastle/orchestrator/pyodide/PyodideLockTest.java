package dev.sandcastle.orchestrator.pyodide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lock files from an index or a release are untrusted: what they may name, and what they may add. */
class PyodideLockTest {
  private static final String SHA = "a".repeat(64);
  private static final PyodideLock.Info INFO = PackageMirrorTest.INFO;

  private static String entry(String name, String fileName, String sha, String depends) {
    return """
        {"name": "%s", "version": "1.0", "file_name": "%s", "sha256": "%s", "install_dir": "site", "package_type": "package",
         "imports": ["%s"], "depends": [%s], "unvendored_tests": false, "tool": {}}"""
        .formatted(name, fileName, sha, name.replace('-', '_'), depends);
  }

  private static PyodideLock.Entry valid(String name, String... depends) {
    return new PyodideLock.Entry(PyodideLock.normalize(name), name, "1.0", name.replace('-', '_') + "-1.0-py3-none-any.whl",
        FixtureWheel.sha256(name.getBytes(StandardCharsets.UTF_8)), "site", "package",
        List.of(name.replace('-', '_')), List.of(depends), false);
  }

  @Test
  void entriesThatCouldReachAPathOrAnotherHostAreLeftOut() {
    String json = """
        {"info": {"python": "3.14.2", "abi_version": "2026_0", "platform": "emscripten_5_0_3", "arch": "wasm32"},
         "packages": {
           "good": %s,
           "traversal": %s,
           "absolute": %s,
           "url": %s,
           "short-sha": %s,
           "Upper-Key": %s,
           "odd-dir": {"name": "odd-dir", "version": "1.0", "file_name": "odd_dir-1.0-py3-none-any.whl", "sha256": "%s",
                       "install_dir": "../../etc", "package_type": "package", "imports": [], "depends": []},
           "not-an-object": 42
         }}""".formatted(
        entry("good", "good-1.0-py3-none-any.whl", SHA, ""),
        entry("traversal", "../../traversal-1.0-py3-none-any.whl", SHA, ""),
        entry("absolute", "/etc/absolute-1.0.whl", SHA, ""),
        entry("url", "https://elsewhere.example/url-1.0-py3-none-any.whl", SHA, ""),
        entry("short-sha", "short_sha-1.0-py3-none-any.whl", "abc", ""),
        entry("Upper-Key", "upper-1.0-py3-none-any.whl", SHA, ""),
        SHA);
    PyodideLock lock = PyodideLock.parse(json.getBytes(StandardCharsets.UTF_8));
    assertThat(lock.packages()).containsOnlyKeys("good");
    assertThat(lock.rejected()).isEqualTo(7);
    assertThat(lock.info()).isEqualTo(INFO);
  }

  @Test
  void somethingThatIsNotALockIsUnreadable() {
    for (String json : List.of("", "[]", "{\"packages\": []}", "{\"info\": {}}", "not json")) {
      assertThatThrownBy(() -> PyodideLock.parse(json.getBytes(StandardCharsets.UTF_8))).as(json).isInstanceOf(PyodideLock.Unreadable.class);
    }
    assertThatThrownBy(() -> PyodideLock.parse(new byte[PyodideLock.MAX_BYTES + 1])).hasMessageContaining("larger than");
  }

  @Test
  void anotherLockAddsOnlyWhatThisOneLacksWithItsDependencies() {
    PyodideLock.Entry numpy = valid("numpy");
    PyodideLock bundled = new PyodideLock(INFO, Map.of("numpy", numpy), 0);
    PyodideLock.Entry otherNumpy = new PyodideLock.Entry("numpy", "numpy", "9.9", "numpy-9.9-py3-none-any.whl", SHA, "site", "package",
        List.of("numpy"), List.of(), false);
    PyodideLock.Entry sameFile = new PyodideLock.Entry("renamed", "renamed", "1.0", numpy.fileName(), SHA, "site", "package",
        List.of("renamed"), List.of(), false);
    PyodideLock.Entry usesNumpy = valid("uses-numpy", "NumPy");
    PyodideLock.Entry orphan = valid("orphan", "missing");
    PyodideLock.Entry usesOrphan = valid("uses-orphan", "orphan");
    PyodideLock other = bundled.withOnly(List.of(otherNumpy, sameFile, usesNumpy, orphan, usesOrphan));

    assertThat(bundled.additionsFrom(other)).containsExactly(usesNumpy);
    assertThat(bundled.plus(bundled.additionsFrom(other)).packages().get("numpy")).as("the bundled entry stays").isEqualTo(numpy);

    PyodideLock older = new PyodideLock(new PyodideLock.Info("3.13.2", "2025_0", "emscripten_4_0_9", "wasm32"), Map.of("x", valid("x")), 0);
    assertThatThrownBy(() -> bundled.additionsFrom(older)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Python 3.13.2");
  }

  @Test
  void aWrittenLockReadsBackTheSame() {
    PyodideLock.Entry a = valid("a-pkg");
    PyodideLock.Entry b = valid("b-pkg", "a_pkg");
    PyodideLock lock = new PyodideLock(INFO, Map.of(), 0);
    PyodideLock read = PyodideLock.parse(lock.write(List.of(a, b)));
    assertThat(read.info()).isEqualTo(INFO);
    assertThat(read.packages()).containsEntry("a-pkg", a).containsEntry("b-pkg", b);
    assertThat(read.rejected()).isZero();
  }
}
