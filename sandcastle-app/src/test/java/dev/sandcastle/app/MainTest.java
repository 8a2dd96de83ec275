package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The command line: a server command given only settings skips picocli (a container's start-up),
 * reading them as picocli would; anything else goes to picocli, which answers help and explains
 * mistakes as before.
 */
class MainTest {
  @Test
  void aServerCommandOfSettingsAloneIsReadWithoutPicocliAsPicocliWouldReadIt() {
    assertThat(Main.plainSettings(new String[] {"terminal", "--sandbox", "none", "--host", "0.0.0.0", "--port=8000",
        "--workspace", "/home/user", "--data-dir", "/tmp/.sandcastle"})).hasValue(Map.of(Setting.SANDBOX, "none", Setting.HOST,
        "0.0.0.0", Setting.PORT, "8000", Setting.WORKSPACE, "/home/user", Setting.DATA_DIR, "/tmp/.sandcastle"));
    assertThat(Main.plainSettings(new String[] {"serve"})).hasValue(Map.of());
    assertThat(Main.plainSettings(new String[] {"terminal", "--api-key="})).hasValue(Map.of(Setting.API_KEY, ""));
  }

  @Test
  void anythingElseIsLeftToPicocli() {
    assertThat(Main.plainSettings(new String[] {"terminal", "--help"})).isEmpty();
    assertThat(Main.plainSettings(new String[] {"terminal", "--no-such-option", "x"})).isEmpty();
    assertThat(Main.plainSettings(new String[] {"terminal", "--port"})).as("a missing value").isEmpty();
    assertThat(Main.plainSettings(new String[] {"terminal", "--port", "1", "--port", "2"})).as("given twice").isEmpty();
    assertThat(Main.plainSettings(new String[] {"terminal", "--api-key", "--port", "1"})).as("an option where a value belongs").isEmpty();
  }

  @Test
  void picocliStillAnswersHelpAndExplainsMistakes() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(Main.run(new String[] {"terminal", "--help"}, new PrintWriter(out, true), new PrintWriter(err, true))).isZero();
    assertThat(out.toString()).contains("Usage: sandcastle terminal", "--data-dir");
    assertThat(Main.run(new String[] {"terminal", "--port", "1", "--port", "2"}, new PrintWriter(out, true), new PrintWriter(err, true)))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--port").contains("should be specified only once");
    StringWriter usage = new StringWriter();
    assertThat(Main.run(new String[] {"--help"}, new PrintWriter(usage, true), new PrintWriter(err, true))).isZero();
    assertThat(usage.toString()).contains("terminal", "serve", "operator", "bench", "keys", "image", "docker");
  }
}
