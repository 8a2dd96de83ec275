package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.workspace.Workspace;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Files sent with a message ({@code "files": [{"name", "data": base64} | {"name", "url": "data:…;base64,…"} |
 * {"name", "content": text}]}) are written to the workspace's {@code ~/uploads}, which code sees as
 * {@code /mnt/uploads} (as in Open WebUI), and the model is told where they are.
 */
final class Attachments {
  private static final int MAX_FILES = 32;

  private Attachments() {}

  static void place(ObjectNode body, ChatCaller caller, ArrayNode messages) {
    if (!(body.get("files") instanceof ArrayNode files) || files.isEmpty()) {
      return;
    }
    if (files.size() > MAX_FILES) {
      throw new BadRequest("at most " + MAX_FILES + " files may be attached to one message");
    }
    Workspace workspace = caller.workspace().orElseThrow(() ->
        new BadRequest("attachments need a workspace served by this server (the workspace engine)"));
    List<String> placed = new ArrayList<>();
    for (JsonNode file : files) {
      String name = file.path("name").asString(file.path("filename").asString(""));
      if (name.isBlank()) {
        throw new BadRequest("every attached file needs a 'name'");
      }
      byte[] bytes = bytes(file, name);
      try {
        workspace.files().mkdir("~/uploads", workspace.home());
      } catch (RuntimeException e) {
        // exists already (or the upload below reports the problem)
      }
      var written = workspace.files().upload("~/uploads", workspace.home(), name, new ByteArrayInputStream(bytes));
      placed.add("/mnt/uploads/" + written.path().substring(written.path().lastIndexOf('/') + 1));
    }
    ObjectNode note = JsonMapperHolder.JSON.createObjectNode();
    note.put("role", "system");
    note.put("content", "Files attached to the conversation are available to the code at: " + String.join(", ", placed));
    messages.add(note);
  }

  private static byte[] bytes(JsonNode file, String name) {
    try {
      if (file.path("data").isString()) {
        return Base64.getMimeDecoder().decode(file.path("data").asString());
      }
      String url = file.path("url").asString("");
      if (url.startsWith("data:") && url.contains(";base64,")) {
        return Base64.getMimeDecoder().decode(url.substring(url.indexOf(";base64,") + 8));
      }
      if (file.path("content").isString()) {
        return file.path("content").asString().getBytes(StandardCharsets.UTF_8);
      }
    } catch (IllegalArgumentException e) {
      throw new BadRequest("the attached file " + name + " is not valid base64");
    }
    throw new BadRequest("the attached file " + name + " has no content: send 'data' (base64), a data: 'url' or 'content'");
  }

  private static final class JsonMapperHolder {
    static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();
  }
}
