package dev.sandcastle.interpreter.jupyter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Unavailable;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The message format, without a server. */
class WireTest {

  @Test
  void anExecuteRequestHasTheLegacyJsonShape() {
    JsonNode message = Wire.parseText(
        Wire.request("execute_request", "m1", "s1", Wire.executeContent("print(1)"))).orElseThrow();

    assertThat(message.path("channel").asString()).isEqualTo("shell");
    JsonNode header = message.path("header");
    assertThat(header.path("msg_id").asString()).isEqualTo("m1");
    assertThat(header.path("session").asString()).isEqualTo("s1");
    assertThat(header.path("msg_type").asString()).isEqualTo("execute_request");
    assertThat(header.path("version").asString()).isEqualTo("5.3");
    assertThat(header.path("date").asString()).endsWith("Z");
    assertThat(message.path("parent_header").isEmpty()).isTrue();
    JsonNode content = message.path("content");
    assertThat(content.path("code").asString()).isEqualTo("print(1)");
    assertThat(content.path("silent").asBoolean(true)).isFalse();
    assertThat(content.path("store_history").asBoolean()).isTrue();
    assertThat(content.path("allow_stdin").asBoolean(true)).isFalse();
    assertThat(content.path("stop_on_error").asBoolean()).isTrue();
    assertThat(message.path("buffers").isArray()).isTrue();
  }

  @Test
  void aBinaryFrameYieldsItsJsonPart() {
    byte[] json = "{\"header\":{\"msg_type\":\"comm_msg\"},\"channel\":\"iopub\"}".getBytes(StandardCharsets.UTF_8);
    byte[] buffer = {1, 2, 3};
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.writeBytes(ByteBuffer.allocate(12).putInt(2).putInt(12).putInt(12 + json.length).array());
    frame.writeBytes(json);
    frame.writeBytes(buffer);

    JsonNode message = Wire.parseBinary(frame.toByteArray()).orElseThrow();

    assertThat(Wire.msgType(message)).isEqualTo("comm_msg");
    assertThat(Wire.parseBinary(new byte[] {0, 0, 0, 9, 0, 0, 0, 1})).isEmpty();
  }

  @Test
  void bundlesKeepRichTypesAsTextAndDropTheRest() {
    JsonNode data = Wire.parseText("""
        {"text/plain": ["line 1\\n", "line 2"], "text/html": "<b>x</b>", "image/png": "iVBO",
         "application/json": {"a": [1, 2]}, "application/vnd.jupyter.widget-view+json": {"model_id": "m"}}
        """).orElseThrow();

    assertThat(Wire.bundle(data)).containsOnly(
        java.util.Map.entry("text/plain", "line 1\nline 2"),
        java.util.Map.entry("text/html", "<b>x</b>"),
        java.util.Map.entry("image/png", "iVBO"),
        java.util.Map.entry("application/json", "{\"a\":[1,2]}"));
  }

  @Test
  void tracebacksLoseTheirColours() {
    Output.Error error = new Output.Error("ZeroDivisionError", "division by zero", List.of(
        "\u001b[0;31mZeroDivisionError\u001b[0m   Traceback", "\u001b[38;5;241m1\u001b[39m 1/0",
        "\u001b]8;;file:///x\u0007link\u001b]8;;\u0007"));

    assertThat(error.plainTraceback()).isEqualTo("ZeroDivisionError   Traceback\n1 1/0\nlink");
  }

  @Test
  void baseUrlsAreNormalizedAndNeverEchoSecrets() {
    assertThat(JupyterClient.parseBase("http://127.0.0.1:8888").toString()).isEqualTo("http://127.0.0.1:8888/");
    assertThat(JupyterClient.parseBase("HTTPS://host/jupyter").toString()).isEqualTo("https://host/jupyter/");
    assertThatThrownBy(() -> JupyterClient.parseBase("http://host:8888/?token=s3cret"))
        .isInstanceOf(Unavailable.class).hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> JupyterClient.parseBase("http://user:s3cret@host/"))
        .isInstanceOf(Unavailable.class).hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> JupyterClient.parseBase("ftp://host/")).isInstanceOf(Unavailable.class);
    assertThat(JupyterAuth.token("s3cret").toString()).doesNotContain("s3cret");
    assertThat(JupyterAuth.password("s3cret").toString()).doesNotContain("s3cret");
  }
}
