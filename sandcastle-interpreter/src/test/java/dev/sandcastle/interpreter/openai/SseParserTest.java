package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

  private static List<SseParser.Event> parseWhole(String text) {
    return parse(List.of(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<SseParser.Event> parse(List<byte[]> pieces) {
    SseParser parser = new SseParser(1024);
    List<SseParser.Event> events = new ArrayList<>();
    for (byte[] piece : pieces) {
      parser.feed(ByteBuffer.wrap(piece), events::add);
    }
    parser.finish(events::add);
    return events;
  }

  /** The stream fed one byte at a time, so every line and character is cut somewhere. */
  private static List<SseParser.Event> parseBytewise(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<byte[]> pieces = new ArrayList<>();
    for (byte b : bytes) {
      pieces.add(new byte[] {b});
    }
    return parse(pieces);
  }

  private static SseParser.Event data(String data) {
    return new SseParser.Event("message", data);
  }

  @Test
  void dataLinesSeparatedByBlankLinesAreEvents() {
    String stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
    assertThat(parseWhole(stream))
        .containsExactly(data("{\"a\":1}"), data("{\"b\":2}"), data("[DONE]"));
  }

  @Test
  void eventsCutAtEveryByteComeOutTheSame() {
    String stream = "data: {\"content\":\"Grüße 🌍\"}\r\n\r\n: keep-alive\r\n\r\n"
        + "data: line one\ndata: line two\n\ndata:[DONE]\r\r";
    List<SseParser.Event> expected = List.of(
        data("{\"content\":\"Grüße 🌍\"}"), data("line one\nline two"), data("[DONE]"));
    assertThat(parseWhole(stream)).isEqualTo(expected);
    assertThat(parseBytewise(stream)).isEqualTo(expected);
  }

  @Test
  void multiLineDataIsJoinedWithNewlines() {
    assertThat(parseWhole("data: {\"a\":\ndata: 1}\n\n")).containsExactly(data("{\"a\":\n1}"));
  }

  @Test
  void commentsAndKeepAlivesAreIgnored() {
    String stream = ": OPENROUTER PROCESSING\n\n:ping\n\ndata: x\n: in the middle\ndata: y\n\n";
    assertThat(parseWhole(stream)).containsExactly(data("x\ny"));
  }

  @Test
  void crlfSplitBetweenTwoReadsIsOneLineEnd() {
    byte[] first = "data: a\r".getBytes(StandardCharsets.US_ASCII);
    byte[] second = "\ndata: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    // A CR then LF in the next read is one line end: 'a' and 'b' belong to one event.
    assertThat(parse(List.of(first, second))).containsExactly(data("a\nb"));
  }

  @Test
  void fieldsOtherThanDataAndEventAreIgnoredAndEventTypeIsKept() {
    String stream = "id: 7\nretry: 1000\nevent: error\ndata: {\"error\":{\"message\":\"x\"}}\n\n"
        + "data: plain\n\n";
    assertThat(parseWhole(stream)).containsExactly(
        new SseParser.Event("error", "{\"error\":{\"message\":\"x\"}}"), data("plain"));
  }

  @Test
  void onlyOneSpaceAfterTheColonIsDropped() {
    assertThat(parseWhole("data:  two spaces\n\ndata:none\n\n"))
        .containsExactly(data(" two spaces"), data("none"));
  }

  @Test
  void blankLinesWithoutDataDispatchNothing() {
    assertThat(parseWhole("\n\n\r\n: c\n\nevent: ping\n\n")).isEmpty();
  }

  @Test
  void aByteOrderMarkAtTheStartIsDropped() {
    assertThat(parseWhole("\uFEFFdata: x\n\n")).containsExactly(data("x"));
  }

  @Test
  void anEventWithoutItsClosingBlankLineIsStillDeliveredAtTheEnd() {
    assertThat(parseWhole("data: {\"last\":true}")).containsExactly(data("{\"last\":true}"));
    assertThat(parseWhole("data: {\"last\":true}\n")).containsExactly(data("{\"last\":true}"));
  }

  @Test
  void anOversizedLineIsRefused() {
    String huge = "data: " + "x".repeat(2000) + "\n\n";
    assertThatThrownBy(() -> parseWhole(huge))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("1024 bytes");
  }
}
