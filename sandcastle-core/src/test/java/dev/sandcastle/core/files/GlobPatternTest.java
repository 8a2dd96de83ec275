package dev.sandcastle.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GlobPatternTest {
  static boolean matches(String glob, String relative) {
    String name = relative.substring(relative.lastIndexOf('/') + 1);
    return GlobPattern.compile(glob).matches(relative, name);
  }

  @ParameterizedTest
  @CsvSource({
    "**/*.py, app.py, true",
    "**/*.py, src/deep/app.py, true",
    "**/*.py, src/app.pyc, false",
    "*.py, src/deep/app.py, true", // a bare pattern also matches names at any depth
    "src/*.py, src/app.py, true",
    "src/*.py, src/deep/app.py, false",
    "src/**, src/deep/app.py, true",
    "src/**/test_*.py, src/test_a.py, true",
    "src/**/test_*.py, src/x/y/test_a.py, true",
    "file?.txt, file1.txt, true",
    "file?.txt, file10.txt, false",
    "[!.]*, .hidden, false",
    "[a-c]*.md, b.md, true",
    "[a-c]*.md, d.md, false",
    "'*.{js,ts}', x.ts, true",
    "'*.{js,ts}', x.rs, false",
    "\\*.txt, *.txt, true",
    "\\*.txt, a.txt, false",
    "a+b (1).txt, a+b (1).txt, true",
    "café/*, café/x, true",
  })
  void matchesLikeAShellGlob(String glob, String relative, boolean expected) {
    assertThat(matches(glob, relative)).as(glob + " ~ " + relative).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"[abc", "{a,b", ""})
  void malformedGlobsAreBadRequests(String glob) {
    assertThatThrownBy(() -> GlobPattern.compile(glob)).isInstanceOf(BadRequest.class);
  }
}
