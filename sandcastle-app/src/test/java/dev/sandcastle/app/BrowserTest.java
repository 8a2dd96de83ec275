package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.interpreter.openai.FakeOpenAi;
import dev.sandcastle.orchestrator.pyodide.FixtureIndex;
import dev.sandcastle.orchestrator.pyodide.FixtureWheel;
import dev.sandcastle.orchestrator.pyodide.PyodideLock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web front end in Debian's Chromium, driven by playwright-core ({@code sandcastle-web/e2e}),
 * against a real {@code serve} whose model is a scripted fake: sign-up, a chart and a table from
 * code, Mermaid, an artifact, Pyodide (its packages from a package index the test serves on
 * 127.0.0.1), files, the terminal and the admin dashboard. Screenshots go to {@code
 * target/browser-screenshots}.
 */
@Tag("browser")
@Tag("bwrap")
class BrowserTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static final String CHART = """
      import pandas as pd
      import matplotlib
      matplotlib.use("Agg")
      import matplotlib.pyplot as plt
      df = pd.DataFrame({"x": [1, 2, 3, 4], "square": [1, 4, 9, 16]})
      plt.plot(df.x, df.square, marker="o")
      plt.title("Squares")
      plt.show()
      df""";

  static final String MERMAID = """
      Here is the flow:

      ```mermaid
      graph TD
        A[Write code] --> B{Tests pass?}
        B -->|yes| C[Ship it]
        B -->|no| A
      ```

      And one that is broken:

      ```mermaid
      graph TD
        A -->
      ```

      Energy: $$E = mc^2$$
      """;

  static final String ARTIFACT_SVG = """
      A second version, as a picture:

      ```svg
      <svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><circle cx="60" cy="60" r="50" fill="orange"/></svg>
      ```
      """;

  static final String ARTIFACT = """
      Here is your page:

      ```html
      <h1 id="t">waiting</h1>
      <script>
        document.getElementById('t').textContent = 'script ran';
        try { parent.document.title = 'pwned'; document.body.append(' parent reachable'); }
        catch (e) { document.body.append(' parent blocked'); }
      </script>
      ```
      """;

  /**
   * The Pyodide chat's code: the fixture package from the test's package index, its stand-in
   * pyplot's chart, and numpy, which the index lacks (the model must read why).
   */
  static final String FIXTURE_CHART = """
      import sandcastle_fixture
      print(sandcastle_fixture.greet("chat"))
      plt = sandcastle_fixture.fake_pyplot()
      plt.plot([1, 2], [3, 4])
      plt.show()
      try:
          import numpy
      except ImportError:
          print("numpy is not available here")""";

  @Test
  void theWebAppWorksInChromium() throws Exception {
    Path web = Path.of("..", "sandcastle-web").toAbsolutePath().normalize();
    assertThat(web.resolve("node_modules/playwright-core")).as("npm ci ran in sandcastle-web (the Maven build does it)").isDirectory();
    assertThat(Path.of("/usr/bin/chromium")).as("Chromium is installed (.ci/run installs it)").exists();
    PyodideLock bundled = PyodideLock.parse(Pyodide.bundled().orElseThrow().lock());
    try (FakeOpenAi model = FakeOpenAi.start(); FixtureIndex index = FixtureIndex.start(bundled.info()).add(FixtureWheel.sandcastleFixture())) {
      script(model, System.getProperty("sandcastle.e2e", ""));
      Path data = Files.createTempDirectory("sandcastle-browser");
      data.toFile().setExecutable(true, false);
      Map<Setting, String> settings = new EnumMap<>(Setting.class);
      settings.put(Setting.DATA_DIR, data.toString());
      settings.put(Setting.PORT, "0");
      settings.put(Setting.OPENAI_API_BASE_URLS, model.baseUrl());
      settings.put(Setting.ALLOWED_RUNTIMES, "runsc"); // the policy editor's test saves a policy naming it
      settings.put(Setting.PYODIDE_INDEX_URL, index.url().toString()); // Pyodide's packages: the fixture package only
      try (Orchestrator server = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
        Path screenshots = Path.of("target", "browser-screenshots").toAbsolutePath();
        NodeScript node = NodeScript.run(web, List.of("e2e/run.mjs", System.getProperty("sandcastle.e2e", "")),
            Map.of("SANDCASTLE_URL", "http://127.0.0.1:" + server.port(), "SCREENSHOTS", screenshots.toString()), Duration.ofMinutes(15));
        String output = node.output();
        System.out.println(output);
        assertThat(node.ended()).as("the browser tests ended within 15 minutes").isTrue();
        assertThat(node.exitCode()).as("browser tests failed:\n" + output).isZero();
        assertThat(output).contains("browser tests passed").doesNotContain("FAIL");
        if (System.getProperty("sandcastle.e2e", "").isEmpty()) {
          assertThat(screenshots.resolve("10-signup-signed-in.png")).exists();
        }
        if ("55-pyodide-packages.mjs".contains(System.getProperty("sandcastle.e2e", ""))) {
          // the model read why numpy was missing in the browser: the package and the setting
          assertThat(model.requests()).anySatisfy(request -> assertThat(request.path("messages").toString())
              .contains("Pyodide package numpy").contains("--pyodide-index-url").contains("numpy is not available here"));
        }
      }
    }
  }

  /**
   * The model's answers, in the order the browser tests ask, for the tests the filter runs (the
   * {@code sandcastle.e2e} property, a part of the tests' file names, as e2e/run.mjs filters them).
   */
  private static void script(FakeOpenAi model, String filter) {
    Map<String, java.util.function.Consumer<FakeOpenAi>> turns = new java.util.LinkedHashMap<>();
    turns.put("20-chart", m -> m.enqueueToolCall("call-chart", "execute_code", JSON.createObjectNode().put("code", CHART).toString())
        .enqueueText("Here is the chart ", "of the squares."));
    turns.put("25-attachment", m -> m.enqueueToolCall("call-csv", "execute_code", JSON.createObjectNode()
            .put("code", "import pandas as pd\nprint('total', pd.read_csv('/mnt/uploads/data.csv').total.sum())").toString())
        .enqueueText("The totals add up to 6."));
    turns.put("30-mermaid", m -> m.enqueueText(MERMAID.substring(0, 40), MERMAID.substring(40)));
    turns.put("40-artifact", m -> m.enqueueText(ARTIFACT).enqueueText(ARTIFACT_SVG));
    turns.put("50-pyodide", m -> m.enqueueToolCall("call-sum", "execute_code", JSON.createObjectNode().put("code", "print(sum(range(10)))").toString())
        .enqueueText("The sum is 45."));
    turns.put("55-pyodide-packages", m -> m.enqueueToolCall("call-fixture", "execute_code",
        JSON.createObjectNode().put("code", FIXTURE_CHART).toString()).enqueueText("The fixture package greeted the chat."));
    turns.put("60-files", m -> m.enqueueToolCall("call-notes", "execute_code",
        JSON.createObjectNode().put("code", "print(open('notes.txt').read())").toString()).enqueueText("Your notes are above."));
    turns.forEach((test, enqueue) -> {
      if ((test + ".mjs").contains(filter)) {
        enqueue.accept(model);
      }
    });
  }
}
