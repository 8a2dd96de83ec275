package dev.sandcastle.core.notebook;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.files.FileContent;
import dev.sandcastle.core.files.TextContent;
import dev.sandcastle.core.files.WorkspaceFiles;
import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelOutput;
import dev.sandcastle.core.kernel.KernelService;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Open notebooks of a workspace: each is an {@code .ipynb} file with a kernel of its own. Running
 * a cell sends its source to the kernel and writes the outputs and execution count back into the
 * file, so the notebook on disk always shows what ran.
 */
public final class NotebookService {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MAX_OPEN = 32;

  private final WorkspaceFiles files;
  private final KernelService kernels;
  private final String home;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();

  public NotebookService(WorkspaceFiles files, KernelService kernels) {
    this.files = files;
    this.kernels = kernels;
    this.home = files.home();
  }

  /** An open notebook. */
  public record Session(String id, String path, String kernel) {}

  /** What clients see of an open notebook. */
  public record Info(String id, String path, String kernel, String status, int cells) {}

  /** The result of one cell, as the API returns it. */
  public record CellRun(String status, @JsonProperty("execution_count") int executionCount, List<KernelOutput> outputs) {}

  /** Opens a notebook (an empty one is created when the file does not exist) and starts its kernel. */
  public Info open(String path) throws InterruptedException {
    if (sessions.size() >= MAX_OPEN) {
      throw new QuotaExceeded("at most " + MAX_OPEN + " notebooks may be open; close one first");
    }
    String resolved = files.resolve(path, home);
    if (!resolved.endsWith(".ipynb")) {
      throw new BadRequest("a notebook path must end in .ipynb");
    }
    ObjectNode notebook = files.display(resolved, home).exists() ? load(resolved) : empty();
    if (!files.display(resolved, home).exists()) {
      save(resolved, notebook);
    }
    String id = HexFormat.of().formatHex(randomBytes());
    Session session = new Session(id, resolved, "notebook-" + id);
    kernels.start(session.kernel());
    sessions.put(id, session);
    return info(session, notebook);
  }

  public Info get(String id) {
    Session session = session(id);
    return info(session, load(session.path()));
  }

  /** Closes the notebook and stops its kernel; the file stays. */
  public void close(String id) {
    Session session = session(id);
    sessions.remove(id);
    try {
      kernels.shutdown(session.kernel());
    } catch (NotFound ignored) {
      // the kernel had already stopped
    }
  }

  /**
   * Runs one code cell, replacing its source first when {@code source} is given; index = number
   * of cells with a source appends a new cell. 409 when the kernel is busy.
   */
  public CellRun execute(String id, int cellIndex, java.util.Optional<String> source, Duration timeout) throws InterruptedException {
    Session session = session(id);
    ObjectNode notebook = load(session.path());
    ArrayNode cells = (ArrayNode) notebook.withArray("cells");
    if (cellIndex < 0 || cellIndex > cells.size() || (cellIndex == cells.size() && source.isEmpty())) {
      throw new BadRequest("cell_index " + cellIndex + " is out of range: the notebook has " + cells.size() + " cells");
    }
    if (cellIndex == cells.size()) {
      cells.add(codeCell(""));
    }
    ObjectNode cell = (ObjectNode) cells.get(cellIndex);
    if (!"code".equals(cell.path("cell_type").asString())) {
      throw new BadRequest("cell " + cellIndex + " is a " + cell.path("cell_type").asString() + " cell, not code");
    }
    source.ifPresent(text -> cell.set("source", lines(text)));
    if (source.isPresent()) {
      save(session.path(), notebook); // the new source is kept even if the run fails
    }
    CellResult result = kernels.execute(session.kernel(), text(cell.path("source")), timeout, false, output -> { });
    // Re-read: the cell may have changed the file itself; only this cell's fields are written.
    ObjectNode latest = load(session.path());
    ArrayNode latestCells = (ArrayNode) latest.withArray("cells");
    ObjectNode target = cellIndex < latestCells.size() ? (ObjectNode) latestCells.get(cellIndex) : cell;
    if (cellIndex >= latestCells.size()) {
      latestCells.add(target);
    }
    target.set("outputs", JSON.valueToTree(result.outputs().stream().map(NotebookService::nbformat).toList()));
    target.put("execution_count", result.executionCount());
    save(session.path(), latest);
    return new CellRun(result.status(), result.executionCount(), result.outputs());
  }

  private Session session(String id) {
    Session session = sessions.get(id);
    if (session == null) {
      throw new NotFound("no open notebook with id " + id);
    }
    return session;
  }

  private Info info(Session session, ObjectNode notebook) {
    String status = kernels.find(session.kernel()).map(k -> k.state()).orElse("dead");
    return new Info(session.id(), session.path(), session.kernel(), status, notebook.path("cells").size());
  }

  private ObjectNode load(String path) {
    FileContent content = files.read(path, home, OptionalInt.empty(), OptionalInt.empty());
    if (!(content instanceof TextContent text)) {
      throw new BadRequest(path + " is not a notebook (binary content)");
    }
    try {
      JsonNode node = JSON.readTree(text.content());
      if (!(node instanceof ObjectNode object) || !node.path("cells").isArray()) {
        throw new BadRequest(path + " is not a notebook: it has no cells");
      }
      return object;
    } catch (tools.jackson.core.JacksonException e) {
      throw new BadRequest(path + " is not valid notebook JSON: " + e.getOriginalMessage());
    }
  }

  private void save(String path, ObjectNode notebook) {
    files.write(path, home, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(notebook) + "\n");
  }

  private static ObjectNode empty() {
    ObjectNode notebook = JsonNodeFactory.instance.objectNode();
    notebook.putArray("cells");
    ObjectNode metadata = notebook.putObject("metadata");
    ObjectNode spec = metadata.putObject("kernelspec");
    spec.put("name", "python3");
    spec.put("display_name", "Python 3");
    spec.put("language", "python");
    metadata.putObject("language_info").put("name", "python");
    notebook.put("nbformat", 4);
    notebook.put("nbformat_minor", 5);
    return notebook;
  }

  private ObjectNode codeCell(String source) {
    ObjectNode cell = JsonNodeFactory.instance.objectNode();
    cell.put("cell_type", "code");
    cell.put("id", HexFormat.of().formatHex(randomBytes()).substring(0, 8));
    cell.putObject("metadata");
    cell.set("source", lines(source));
    cell.putArray("outputs");
    cell.putNull("execution_count");
    return cell;
  }

  /** nbformat stores text as a list of lines, each with its newline. */
  private static ArrayNode lines(String text) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        array.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      array.add(text.substring(start));
    }
    return array;
  }

  private static String text(JsonNode source) {
    if (source.isArray()) {
      StringBuilder out = new StringBuilder();
      source.forEach(line -> out.append(line.asString("")));
      return out.toString();
    }
    return source.asString("");
  }

  /** An output as nbformat writes it: stream text as lines, no Sandcastle-only fields. */
  private static Map<String, Object> nbformat(KernelOutput output) {
    Map<String, Object> map = JSON.convertValue(output, Map.class);
    map.remove("traceback_plain");
    return map;
  }

  private byte[] randomBytes() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return bytes;
  }
}
