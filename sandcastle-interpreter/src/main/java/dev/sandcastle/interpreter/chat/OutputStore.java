package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.interpreter.engine.CodeOutput;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps what code produced: images and other binary outputs become files in the user's workspace
 * ({@code ~/outputs/}), referenced by a link a browser can load (see {@link OutputLinks}); text,
 * HTML, SVG and JSON stay inline. Without a workspace (a remote
 * one), binary outputs stay inline as data.
 */
public final class OutputStore {
  static final String FOLDER = "outputs";
  private static final Map<String, String> EXTENSIONS = Map.of("image/png", "png", "image/jpeg", "jpg", "image/gif", "gif",
      "application/pdf", "pdf");

  private final Optional<Workspace> workspace;
  private final java.util.function.Function<String, String> links;

  /** @param links the URL of a file name in {@code ~/outputs} */
  public OutputStore(Optional<Workspace> workspace, java.util.function.Function<String, String> links) {
    this.workspace = workspace;
    this.links = links;
  }

  /** The outputs as JSON maps, binary ones stored as files (with {@code url} and {@code path}) where possible. */
  List<Map<String, Object>> store(String chatId, String executionId, List<CodeOutput> outputs) {
    List<Map<String, Object>> stored = new ArrayList<>();
    int n = 0;
    for (CodeOutput output : outputs) {
      Map<String, Object> json = Outputs.json(output);
      Map<String, Object> data = switch (output) {
        case CodeOutput.Display display -> display.data();
        case CodeOutput.Result result -> result.data();
        default -> Map.of();
      };
      for (var entry : EXTENSIONS.entrySet()) {
        if (workspace.isPresent() && data.get(entry.getKey()) instanceof String base64) {
          byte[] bytes;
          try {
            bytes = Base64.getMimeDecoder().decode(base64);
          } catch (IllegalArgumentException e) {
            continue;
          }
          String name = safe(chatId) + "-" + executionId + "-" + (++n) + "." + entry.getValue();
          Workspace ws = workspace.get();
          try {
            ws.files().mkdir("~/" + FOLDER, ws.home());
          } catch (RuntimeException e) {
            // it exists (or cannot be made, and the upload below says why)
          }
          var written = ws.files().upload("~/" + FOLDER, ws.home(), name, new ByteArrayInputStream(bytes));
          Map<String, Object> file = new LinkedHashMap<>(json);
          Map<String, Object> rest = new LinkedHashMap<>(data);
          rest.remove(entry.getKey());
          file.put("data", rest);
          file.put("mime_type", entry.getKey());
          file.put("path", written.path());
          file.put("url", links.apply(name));
          json = file;
          break;
        }
      }
      stored.add(json);
    }
    return stored;
  }

  private static String safe(String chatId) {
    String cleaned = chatId.replaceAll("[^A-Za-z0-9_-]", "_");
    return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
  }
}
