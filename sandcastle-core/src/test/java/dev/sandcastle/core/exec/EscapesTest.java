package dev.sandcastle.core.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import org.junit.jupiter.api.Test;

class EscapesTest {
  @Test
  void decodesTheSequencesAModelSends() {
    assertThat(Escapes.decode("\\x03")).isEqualTo("\u0003");
    assertThat(Escapes.decode("ls\\n")).isEqualTo("ls\n");
    assertThat(Escapes.decode("a\\tb\\r\\e[A\\u0004")).isEqualTo("a\tb\r\u001b[A\u0004");
    assertThat(Escapes.decode("back\\\\slash")).isEqualTo("back\\slash");
  }

  @Test
  void leavesUnknownAndIncompleteSequencesAlone() {
    assertThat(Escapes.decode("C:\\path")).isEqualTo("C:\\path");
    assertThat(Escapes.decode("end\\")).isEqualTo("end\\");
    assertThat(Escapes.decode("\\x4")).isEqualTo("\\x4");
  }

  @Test
  void rejectsInvalidHex() {
    assertThatThrownBy(() -> Escapes.decode("\\xZZ")).isInstanceOf(BadRequest.class).hasMessageContaining("\\xZZ");
  }
}
