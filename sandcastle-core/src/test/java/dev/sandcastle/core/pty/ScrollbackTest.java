package dev.sandcastle.core.pty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ScrollbackTest {
  private static String text(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void keepsEverythingUntilFull() {
    Scrollback ring = new Scrollback(16);
    ring.append(ascii("hello "));
    ring.append(ascii("world"));
    assertThat(ring.start()).isZero();
    assertThat(ring.end()).isEqualTo(11);
    assertThat(text(ring.copy(0, 100))).isEqualTo("hello world");
    assertThat(text(ring.copy(6, 3))).isEqualTo("wor");
    assertThat(ring.replayStart()).isZero();
  }

  @Test
  void keepsTheNewestBytesAcrossTheWrap() {
    Scrollback ring = new Scrollback(8);
    ring.append(ascii("abcdef"));
    ring.append(ascii("ghij"));
    assertThat(ring.start()).isEqualTo(2);
    assertThat(ring.end()).isEqualTo(10);
    assertThat(text(ring.copy(2, 100))).isEqualTo("cdefghij");
    assertThat(text(ring.copy(5, 4))).isEqualTo("fghi");
    assertThatThrownBy(() -> ring.copy(1, 4)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aChunkLargerThanTheRingKeepsItsTail() {
    Scrollback ring = new Scrollback(4);
    ring.append(ascii("0123456789"));
    assertThat(ring.end()).isEqualTo(10);
    assertThat(text(ring.copy(ring.start(), 100))).isEqualTo("6789");
  }

  @Test
  void aReplayAfterDroppedOutputStartsOnALine() {
    Scrollback ring = new Scrollback(12);
    ring.append(ascii("first line\r\nsecond\r\n$ "));
    assertThat(ring.start()).isGreaterThan(0);
    assertThat(text(ring.copy(ring.replayStart(), 100))).isEqualTo("second\r\n$ ");
  }
}
