package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every route the server has is in the OpenAPI document, and every documented route exists. */
@Tag("bwrap")
class RoutesDocumentedTest {
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
  void serverRoutesAndDocumentAgree() {
    Set<OpenApiDocument.Route> served = server.app.unsafe.internalRouter.allHttpHandlers().stream()
        .map(e -> new OpenApiDocument.Route(e.endpoint.method.name(), e.endpoint.path.replaceAll("<([^>]+)>", "{$1}")))
        .filter(r -> !r.method().equals("HEAD") && !r.method().equals("BEFORE") && !r.method().equals("AFTER")
            && !r.method().startsWith("BEFORE") && !r.method().startsWith("AFTER")
            && !r.method().startsWith("WEBSOCKET_")) // upgrade hooks; the WebSocket is described in create_terminal
        .filter(r -> !r.path().startsWith("/openapi"))
        .collect(Collectors.toSet());
    assertThat(served).containsExactlyInAnyOrderElementsOf(OpenApiDocument.load().routes());
  }

  @Test
  void theServedToolDocumentHasExactlyTheSpecTools() {
    JsonNode doc = server.get("/openapi.json").json();
    Set<String> ids = doc.path("paths").properties().stream()
        .flatMap(path -> path.getValue().properties().stream())
        .map(op -> op.getValue().path("operationId").asString())
        .collect(Collectors.toSet());
    assertThat(ids).containsExactlyInAnyOrder("run_command", "get_process_status", "send_process_input", "kill_process",
        "list_processes", "list_files", "read_file", "display_file", "write_file", "replace_file_content", "grep_search",
        "glob_search");
    assertThat(server.get("/openapi.full.json").json().path("paths").has("/files/upload")).isTrue();
  }
}
