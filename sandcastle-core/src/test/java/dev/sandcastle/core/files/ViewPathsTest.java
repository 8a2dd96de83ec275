package dev.sandcastle.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.PathOutsideWorkspace;
import java.util.List;
import org.junit.jupiter.api.Test;

class ViewPathsTest {
  @Test
  void homeMustBeAnAbsoluteNormalizedPath() {
    for (String bad : List.of("", "home/user", "/home/user/", "/home/../user", "/home//user")) {
      assertThatThrownBy(() -> new ViewPaths(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void componentsAndViewPathsRoundTrip() {
    ViewPaths paths = new ViewPaths("/home/user");

    assertThat(paths.components("/home/user")).isEmpty();
    assertThat(paths.components("/home/user/a/b")).containsExactly("a", "b");
    assertThat(paths.viewOf(List.of("a", "b"))).isEqualTo("/home/user/a/b");
    assertThat(paths.viewOf(List.of())).isEqualTo("/home/user");
  }

  @Test
  void aWorkspaceShownAsTheWholeFileSystemAcceptsEveryAbsolutePath() {
    ViewPaths paths = new ViewPaths("/");

    assertThat(paths.resolve("/etc/hosts", "")).isEqualTo("/etc/hosts");
    assertThat(paths.resolve("../..", "/a")).isEqualTo("/");
    assertThat(paths.resolve("x", "")).isEqualTo("/x");
    assertThat(paths.components("/etc/hosts")).containsExactly("etc", "hosts");
    assertThat(paths.viewOf(List.of("etc"))).isEqualTo("/etc");
  }

  @Test
  void aCwdOutsideHomeIsRefusedEvenForPathsThatWouldComeBack() {
    ViewPaths paths = new ViewPaths("/home/user");

    assertThatThrownBy(() -> paths.resolve("../home/user/x", "/tmp"))
        .isInstanceOf(PathOutsideWorkspace.class);
    assertThat(paths.resolve("/home/user/x", "/tmp")).isEqualTo("/home/user/x");
  }
}
