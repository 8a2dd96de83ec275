package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Notebooks: cells run in the notebook's kernel and their outputs are written into the .ipynb. */
@Tag("bwrap")
class NotebooksTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.bwrap();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void cellsRunAndTheirOutputsAreSavedInTheFile() throws Exception {
    JsonNode opened = server.post("/notebooks", Map.of("path", "analysis.ipynb")).json();
    String id = opened.path("id").asString();
    assertThat(opened.path("path").asString()).isEqualTo("/home/user/analysis.ipynb");
    assertThat(opened.path("status").asString()).isEqualTo("idle");

    JsonNode first = server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 0, "source", "x = 5\nx * 2")).json();
    assertThat(first.path("status").asString()).isEqualTo("ok");
    assertThat(first.path("outputs").get(0).path("data").path("text/plain").asString()).isEqualTo("10");
    JsonNode second = server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 1, "source", "print(x)")).json();
    assertThat(second.path("outputs").get(0).path("text").asString()).isEqualTo("5\n");

    JsonNode saved = TestServer.JSON.readTree(Files.readString(server.home.resolve("analysis.ipynb")));
    assertThat(saved.path("nbformat").asInt()).isEqualTo(4);
    assertThat(saved.path("cells")).hasSize(2);
    assertThat(saved.path("cells").get(0).path("execution_count").asInt()).isEqualTo(first.path("execution_count").asInt());
    assertThat(saved.path("cells").get(0).path("outputs").get(0).path("output_type").asString()).isEqualTo("execute_result");
    assertThat(saved.path("cells").get(1).path("source").get(0).asString()).isEqualTo("print(x)");
    assertThat(server.get("/notebooks/" + id).json().path("cells").asInt()).isEqualTo(2);

    // Re-running cell 0 from the file's own source works too.
    assertThat(server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 0)).json().path("status").asString()).isEqualTo("ok");
    assertThat(server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 7)).status()).isEqualTo(400);

    assertThat(server.delete("/notebooks/" + id).status()).isEqualTo(200);
    assertThat(server.get("/notebooks/" + id).status()).isEqualTo(404);
    assertThat(server.home.resolve("analysis.ipynb")).exists();
  }

  @Test
  void aBusyKernelAnswers409() throws Exception {
    String id = server.post("/notebooks", Map.of("path", "busy.ipynb")).json().path("id").asString();
    CompletableFuture<TestServer.Response> slow = CompletableFuture.supplyAsync(() ->
        server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 0, "source", "import time\ntime.sleep(2)")));
    Thread.sleep(700);
    TestServer.Response busy = server.post("/notebooks/" + id + "/execute", Map.of("cell_index", 1, "source", "1"));
    assertThat(busy.status()).isEqualTo(409);
    assertThat(busy.json().path("detail").asString()).contains("busy");
    assertThat(slow.get().json().path("status").asString()).isEqualTo("ok");
  }

  @Test
  void aFileThatIsNotANotebookIsRefused() {
    server.post("/files/write", Map.of("path", "fake.ipynb", "content", "not json"));
    TestServer.Response response = server.post("/notebooks", Map.of("path", "fake.ipynb"));
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().path("detail").asString()).contains("not valid notebook JSON");
    assertThat(server.post("/notebooks", Map.of("path", "../outside.ipynb")).status()).isEqualTo(403);
  }
}
