package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Open Terminal's OPEN_TERMINAL_INFO and OPEN_TERMINAL_FILE_BROWSER_ROOT, as a client of Open
 * Terminal sees them: the get_info tool and its answer, the system prompt, and where Open WebUI's
 * file browser starts.
 */
@Tag("bwrap")
class OpenTerminalSettingsTest {
  static final String INFO = "A Debian workspace with numpy and pandas; no GPU. Results go in ~/outputs.";

  static Server start(DataDir data, Map<String, String> env) {
    return Server.start(Config.load(JupyterLabClientTest.settings(data.path()), env, 8000), new PrintWriter(new StringWriter()));
  }

  static Http client(Server server) {
    return new Http("http://127.0.0.1:" + server.port(), Map.of("Authorization", "Bearer " + JupyterLabClientTest.KEY));
  }

  @Test
  void infoIsAToolAnEndpointAndPartOfThePromptOnlyWhenSet() throws Exception {
    try (DataDir data = DataDir.create("sandcastle-open-terminal"); Server server = start(data, Map.of("OPEN_TERMINAL_INFO", INFO))) {
      Http http = client(server);
      assertThat(http.get("/info").json().path("info").asString()).isEqualTo(INFO);
      JsonNode tool = http.get("/openapi.json").json().path("paths").path("/info").path("get");
      assertThat(tool.path("operationId").asString()).isEqualTo("get_info");
      assertThat(http.get("/system").json().path("prompt").asString()).endsWith("\n\n" + INFO);
      assertThat(http.without("Authorization").get("/info").status()).isEqualTo(401);
    }
    try (DataDir data = DataDir.create("sandcastle-open-terminal"); Server server = start(data, Map.of())) {
      Http http = client(server);
      assertThat(http.get("/info").status()).isEqualTo(404);
      assertThat(http.get("/openapi.json").json().path("paths").has("/info")).as("no tool that answers nothing").isFalse();
      assertThat(http.get("/system").json().path("prompt").asString()).doesNotContain(INFO);
    }
  }

  @Test
  void theFileBrowserStartsWhereTheSettingSaysAndSlashIsUseful() throws Exception {
    try (DataDir data = DataDir.create("sandcastle-open-terminal"); Server server = start(data, Map.of("OPEN_TERMINAL_FILE_BROWSER_ROOT", "{{home}}/project"))) {
      JsonNode cwd = client(server).get("/files/cwd").json();
      assertThat(cwd.path("home").asString()).isEqualTo("/home/user");
      assertThat(cwd.path("root").path("path").asString()).isEqualTo("/home/user/project");
      assertThat(cwd.path("root").path("label").asString()).isEqualTo("project");
    }
    try (DataDir data = DataDir.create("sandcastle-open-terminal"); Server server = start(data, Map.of("SANDCASTLE_FILE_BROWSER_ROOT", "filesystem"))) {
      Http http = client(server);
      JsonNode cwd = http.get("/files/cwd").json();
      assertThat(cwd.has("root")).as("no root: the browser starts at /").isFalse();
      // What Open WebUI's file browser then asks: the sandbox's own root, not a 403.
      JsonNode slash = http.get("/files/list?directory=/").json();
      assertThat(slash.path("entries").findValuesAsString("name")).contains("home", "usr", "etc", "tmp");
      assertThat(http.get("/files/list?directory=/home/user").status()).isEqualTo(200);
    }
  }
}
