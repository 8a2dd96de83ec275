package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference stays complete. */
class ReadmeTest {
  @Test
  void everyOptionAndItsVariablesAreDocumented() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (Setting setting : Setting.values()) {
      assertThat(readme).contains("`--" + setting.name + "`");
      setting.env.forEach(env -> assertThat(readme).contains("`" + env + "`"));
    }
    assertThat(readme).contains("./sandcastle serve").contains("./sandcastle test");
  }
}
