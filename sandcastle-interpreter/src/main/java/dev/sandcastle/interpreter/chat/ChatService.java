package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.interpreter.engine.CodeOutput;
import dev.sandcastle.interpreter.engine.CodeRun;
import dev.sandcastle.interpreter.engine.Engine;
import dev.sandcastle.interpreter.engine.EngineContext;
import dev.sandcastle.interpreter.openai.Chunks;
import dev.sandcastle.interpreter.openai.OpenAiClient;
import dev.sandcastle.interpreter.openai.ToolCall;
import dev.sandcastle.interpreter.openai.ToolCallAccumulator;
import dev.sandcastle.interpreter.openai.Upstream;
import dev.sandcastle.interpreter.xml.CodeTagParser;
import dev.sandcastle.interpreter.xml.XmlPrompt;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One chat completion with the code interpreter: calls the model, runs the code it asks for in
 * the chosen engine, feeds the output back, and repeats until the model answers (or the round
 * limit). What happens goes to a {@link ChatSink} as OpenAI chunks, the model's own text as it
 * streams and, in an extra {@code sandcastle} field of otherwise empty chunks, the code's progress:
 * {@code code_started} (id, code, engine), {@code code_output} (id, one output as it is produced),
 * {@code code_finished} (id, status, duration_ms, outputs), and at the end {@code executions}.
 *
 * <p>Native mode offers the model an {@code execute_code} tool beside the client's tools; the
 * client's tool calls are returned to it untouched. Legacy mode ("XML") asks the model to wrap code
 * in {@code <code_interpreter>} tags and cuts its stream at the end tag. Runs on the request's
 * (virtual) thread; the sink is called on that thread only.
 */
public final class ChatService {
  static final String TOOL = "execute_code";
  /** Our tool calls carried out per model answer; more are answered with an error. */
  static final int MAX_CALLS_PER_ROUND = 8;
  /** Characters of stdout or stderr a model reads back from one execution. */
  static final int MAX_OUTPUT_CHARS = 64 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final OpenAiClient models;
  private final Map<String, Engine> engines;
  private final ChatSettings settings;
  private final TerminalTools terminalTools;

  public ChatService(OpenAiClient models, Map<String, Engine> engines, ChatSettings settings) {
    this(models, engines, settings, TerminalTools.fromOpenApi(dev.sandcastle.api.OpenApiDocument.load().toolsJson()));
  }

  /** @param terminalTools the Open Terminal tools offered with {@code features.terminal} */
  public ChatService(OpenAiClient models, Map<String, Engine> engines, ChatSettings settings, TerminalTools terminalTools) {
    this.models = models;
    this.engines = Map.copyOf(engines);
    this.settings = settings;
    this.terminalTools = terminalTools;
  }

  /** The models of every configured upstream. */
  public List<dev.sandcastle.interpreter.openai.Model> models() {
    return models.models();
  }

  /**
   * Runs one completion request for a user.
   *
   * @throws BadRequest for a malformed request (nothing was sent to the sink then)
   */
  public void complete(ObjectNode body, ChatCaller caller, ChatSink sink) throws InterruptedException {
    ChatRequest request = ChatRequest.of(body, settings);
    if (models.upstreams().isEmpty()) {
      throw new Unavailable("no model API is configured: start the server with OPENAI_API_BASE_URL (or --openai-api-base-urls)"
          + " pointing at an OpenAI-compatible API such as Ollama, vLLM or llama.cpp's server");
    }
    Upstream upstream = models.upstreamFor(request.model());
    Round round = new Round(request, caller, sink, upstream);
    Attachments.place(body, caller, round.messages);
    sink.chunk(Chunks.role(round.id, request.model(), round.created));
    if (request.codeInterpreter() && request.legacy()) {
      round.legacy();
    } else {
      round.nativeTools();
    }
  }

  /**
   * Runs code without a model, reporting to the sink as a completion does ({@code code_started},
   * {@code code_output}, {@code code_finished}, {@code executions}): the front end's re-run button.
   *
   * @throws BadRequest for a malformed request (nothing was sent to the sink then)
   */
  public void run(ObjectNode body, ChatCaller caller, ChatSink sink) throws InterruptedException {
    ChatRequest request = ChatRequest.ofCode(body, settings);
    Round round = new Round(request, caller, sink, null);
    round.execute(body.path("code").asString());
    round.finish("stop");
  }

  /** The state of one request across its rounds. */
  private final class Round {
    final String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
    final long created = Instant.now().getEpochSecond();
    final ChatRequest request;
    final ChatCaller caller;
    final ChatSink sink;
    final Upstream upstream; // null when code runs without a model
    final ArrayNode messages;
    final List<Map<String, Object>> executions = new ArrayList<>();

    Round(ChatRequest request, ChatCaller caller, ChatSink sink, Upstream upstream) {
      this.request = request;
      this.caller = caller;
      this.sink = sink;
      this.upstream = upstream;
      this.messages = request.messages().deepCopy();
    }

    void nativeTools() throws InterruptedException {
      for (int round = 0; ; round++) {
        ObjectNode call = request.upstreamBody(messages);
        if (request.codeInterpreter()) {
          ArrayNode tools = call.get("tools") instanceof ArrayNode given ? given : call.putArray("tools");
          tools.add(executeCodeTool());
        } else if (request.terminal()) {
          ArrayNode tools = call.get("tools") instanceof ArrayNode given ? given : call.putArray("tools");
          tools.addAll(terminalTools.definitions());
        }
        ToolCallAccumulator turn = new ToolCallAccumulator();
        models.stream(upstream, call, chunk -> {
          turn.add(chunk);
          forwardText(chunk);
        });
        List<ToolCall> calls = turn.toolCalls();
        if (calls.isEmpty()) {
          finish(turn.finishReason().orElse("stop"));
          return;
        }
        List<ToolCall> ours = calls.stream().filter(c -> request.codeInterpreter() ? c.name().equals(TOOL)
            : request.terminal() && terminalTools.handles(c.name())).toList();
        List<ToolCall> theirs = calls.stream().filter(c -> !ours.contains(c)).toList();
        if (!ours.isEmpty() && round >= request.maxRounds()) {
          text("\n\n(The code interpreter stopped after " + request.maxRounds() + " rounds.)");
          finish("length");
          return;
        }
        ObjectNode assistant = messages.addObject();
        assistant.put("role", "assistant");
        if (turn.content().isEmpty()) {
          assistant.putNull("content");
        } else {
          assistant.put("content", turn.content());
        }
        ArrayNode toolCalls = assistant.putArray("tool_calls");
        for (ToolCall c : calls) {
          ObjectNode item = toolCalls.addObject();
          item.put("id", c.id());
          item.put("type", "function");
          item.putObject("function").put("name", c.name()).put("arguments", c.arguments());
        }
        int run = 0;
        for (ToolCall c : ours) {
          String result;
          if (++run > MAX_CALLS_PER_ROUND) {
            result = toolError("not run: at most " + MAX_CALLS_PER_ROUND + " calls are carried out per answer of the model");
          } else if (request.terminal()) {
            result = terminal(c);
          } else {
            String code = codeOf(c.arguments());
            result = code == null ? toolError("the arguments must be a JSON object with a string 'code'") : toolResult(execute(code));
          }
          ObjectNode tool = messages.addObject();
          tool.put("role", "tool");
          tool.put("tool_call_id", c.id());
          tool.put("content", result);
        }
        if (!theirs.isEmpty()) {
          sink.chunk(Chunks.toolCalls(id, request.model(), created, theirs));
          finish("tool_calls");
          return;
        }
      }
    }

    void legacy() throws InterruptedException {
      appendInstructions(messages);
      ObjectNode trailing = null;
      for (int round = 0; ; round++) {
        CodeTagParser parser = new CodeTagParser();
        StringBuilder said = new StringBuilder();
        CodeTagParser.Event.CodeFinished[] code = new CodeTagParser.Event.CodeFinished[1];
        ToolCallAccumulator turn = new ToolCallAccumulator();
        try {
          models.stream(upstream, request.upstreamBody(messages), chunk -> {
            turn.add(chunk);
            forwardReasoning(chunk);
            String delta = chunk.path("choices").path(0).path("delta").path("content").asString("");
            if (!delta.isEmpty()) {
              for (CodeTagParser.Event event : parser.feed(delta)) {
                if (handle(event, said, code)) {
                  throw new Cut();
                }
              }
            }
          });
        } catch (Cut cut) {
          // the model's stream was cut at the end tag: its code runs now
        }
        if (code[0] == null) {
          for (CodeTagParser.Event event : parser.finish()) {
            handle(event, said, code);
          }
          finish(turn.finishReason().orElse("stop"));
          return;
        }
        if (round >= request.maxRounds()) {
          text("\n\n(The code interpreter stopped after " + request.maxRounds() + " rounds.)");
          finish("length");
          return;
        }
        String output;
        if (code[0].runnable()) {
          output = outputText(execute(code[0].code()));
        } else {
          output = "(not run: only type=\"code\" blocks are executed)";
        }
        // Upstream's shape: one trailing assistant message that grows with every round.
        if (trailing == null) {
          trailing = messages.addObject();
          trailing.put("role", "assistant");
          trailing.put("content", "");
        }
        trailing.put("content", trailing.path("content").asString("") + said + XmlPrompt.followUp(code[0].code(), output) + "\n");
      }
    }

    /** True when the stream must be cut (the end tag arrived). */
    private boolean handle(CodeTagParser.Event event, StringBuilder said, CodeTagParser.Event.CodeFinished[] code) {
      switch (event) {
        case CodeTagParser.Event.Text text -> {
          said.append(text.text());
          text(text.text());
          return false;
        }
        case CodeTagParser.Event.CodeStarted started -> {
          return false;
        }
        case CodeTagParser.Event.CodeFinished finished -> {
          code[0] = finished;
          return true;
        }
      }
    }

    private void appendInstructions(ArrayNode conversation) {
      for (int i = conversation.size() - 1; i >= 0; i--) {
        JsonNode message = conversation.get(i);
        if ("user".equals(message.path("role").asString("")) && message instanceof ObjectNode user) {
          JsonNode content = user.get("content");
          if (content != null && content.isString()) {
            user.put("content", XmlPrompt.appendTo(content.asString()));
          } else if (content instanceof ArrayNode parts) {
            parts.addObject().put("type", "text").put("text", XmlPrompt.instructions());
          }
          return;
        }
      }
      conversation.addObject().put("role", "user").put("content", XmlPrompt.instructions());
    }

    /** Runs one Open Terminal tool against the user's workspace API, reporting it to the sink. */
    String terminal(ToolCall call) {
      ToolTransport transport = caller.terminal().orElseThrow(() ->
          new Unavailable("the terminal tools are not available for this user's workspace"));
      String toolId = "tool-" + (executions.size() + 1);
      event(Map.of("type", "tool_started", "id", toolId, "name", call.name(), "arguments", call.arguments()));
      long started = System.nanoTime();
      String result = terminalTools.call(call.name(), call.arguments(), transport);
      Map<String, Object> execution = new LinkedHashMap<>();
      execution.put("id", toolId);
      execution.put("tool", call.name());
      execution.put("arguments", call.arguments());
      execution.put("result", result);
      execution.put("duration_ms", (System.nanoTime() - started) / 1_000_000);
      executions.add(execution);
      Map<String, Object> finished = new LinkedHashMap<>(execution);
      finished.put("type", "tool_finished");
      event(finished);
      return result;
    }

    /** Runs code in the request's engine, reporting its progress to the sink. */
    Executed execute(String code) throws InterruptedException {
      Engine engine = engines.get(request.engine());
      if (engine == null) {
        throw new BadRequest("the code interpreter engine '" + request.engine() + "' is not configured here");
      }
      String executionId = "exec-" + (executions.size() + 1);
      event(Map.of("type", "code_started", "id", executionId, "code", code, "engine", engine.name()));
      CodeRun run;
      try {
        run = engine.run(new EngineContext(caller.userId(), request.chatId(), caller.workspace()), code, request.codeTimeout(),
            output -> event(Map.of("type", "code_output", "id", executionId, "output", Outputs.json(output))));
      } catch (SandcastleException e) {
        run = new CodeRun(CodeRun.Status.ERROR, List.of(new CodeOutput.Error("EngineUnavailable", e.getMessage(), List.of())), Duration.ZERO);
      }
      List<Map<String, Object>> outputs;
      try {
        outputs = caller.outputs().store(request.chatId(), id.substring(id.length() - 8) + "-" + executionId, run.outputs());
      } catch (RuntimeException e) {
        // the code ran; its outputs stay inline when they cannot be kept as files (a full disk, say)
        outputs = run.outputs().stream().map(Outputs::json).toList();
      }
      Map<String, Object> execution = new LinkedHashMap<>();
      execution.put("id", executionId);
      execution.put("engine", engine.name());
      execution.put("code", code);
      execution.put("status", run.status().wireName());
      execution.put("duration_ms", run.duration().toMillis());
      execution.put("outputs", outputs);
      executions.add(execution);
      Map<String, Object> finished = new LinkedHashMap<>(execution);
      finished.put("type", "code_finished");
      event(finished);
      if (request.detailsBlocks()) {
        text(Outputs.details(code, run, outputs));
      }
      return new Executed(run, outputs);
    }

    /** The tool result the model reads: upstream's shape, with stderr and tracebacks included. */
    String toolResult(Executed executed) {
      CodeRun run = executed.run();
      ObjectNode result = JSON.createObjectNode();
      result.put("status", run.status() == CodeRun.Status.OK ? "success" : run.status().wireName());
      result.put("stdout", cut(run.stdout()) + Outputs.links(executed.outputs()));
      result.put("stderr", cut(run.stderr()));
      run.resultText().ifPresent(text -> result.put("result", text));
      if (run.status() != CodeRun.Status.OK) {
        result.put("error", run.status() == CodeRun.Status.TIMEOUT ? "the code ran longer than " + request.codeTimeout().toSeconds() + " s and was interrupted"
            : Outputs.errorLine(run));
      }
      return JSON.writeValueAsString(result);
    }

    String toolError(String message) {
      return JSON.writeValueAsString(JSON.createObjectNode().put("error", message));
    }

    String outputText(Executed executed) {
      CodeRun run = executed.run();
      StringBuilder text = new StringBuilder(cut(run.stdout()));
      run.resultText().ifPresent(result -> text.append(text.isEmpty() || text.charAt(text.length() - 1) == '\n' ? "" : "\n").append(result));
      text.append(Outputs.links(executed.outputs()));
      if (!run.stderr().isEmpty()) {
        text.append(text.isEmpty() || text.charAt(text.length() - 1) == '\n' ? "" : "\n").append(cut(run.stderr()));
      }
      if (run.status() == CodeRun.Status.TIMEOUT) {
        text.append("\n(interrupted: the code ran longer than ").append(request.codeTimeout().toSeconds()).append(" s)");
      }
      return text.toString();
    }

    private void forwardText(ObjectNode chunk) {
      JsonNode delta = chunk.path("choices").path(0).path("delta");
      String content = delta.path("content").asString("");
      if (!content.isEmpty()) {
        text(content);
      }
      forwardReasoning(chunk);
    }

    private void forwardReasoning(ObjectNode chunk) {
      JsonNode delta = chunk.path("choices").path(0).path("delta");
      String reasoning = delta.path("reasoning_content").asString(delta.path("reasoning").asString(""));
      if (!reasoning.isEmpty()) {
        sink.chunk(Chunks.reasoning(id, request.model(), created, reasoning));
      }
    }

    void text(String text) {
      sink.chunk(Chunks.content(id, request.model(), created, text));
    }

    void event(Map<String, Object> event) {
      sink.chunk(Chunks.extension(id, request.model(), created, "sandcastle", JSON.valueToTree(event)));
    }

    void finish(String reason) {
      event(Map.of("type", "executions", "executions", executions));
      sink.chunk(Chunks.finish(id, request.model(), created, reason));
    }
  }

  /** Long output cut in the middle, so the model sees how it started and how it ended. */
  static String cut(String text) {
    if (text.length() <= MAX_OUTPUT_CHARS) {
      return text;
    }
    int half = MAX_OUTPUT_CHARS / 2;
    return text.substring(0, half) + "\n[... " + (text.length() - 2 * half) + " characters left out ...]\n"
        + text.substring(text.length() - half);
  }

  static ObjectNode executeCodeTool() {
    ObjectNode tool = JSON.createObjectNode();
    tool.put("type", "function");
    ObjectNode function = tool.putObject("function");
    function.put("name", TOOL);
    function.put("description", "Execute Python code in the user's sandboxed, persistent workspace and return its output "
        + "(stdout, stderr, the value of the last expression). Variables and files persist between calls in this chat; "
        + "print what you want to see; charts are returned as image links.");
    ObjectNode parameters = function.putObject("parameters");
    parameters.put("type", "object");
    parameters.putObject("properties").putObject("code").put("type", "string").put("description", "The Python code to execute");
    parameters.putArray("required").add("code");
    return tool;
  }

  static String codeOf(String arguments) {
    try {
      JsonNode node = JSON.readTree(arguments);
      JsonNode code = node.path("code");
      return code.isString() ? code.asString() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A finished run and its outputs as stored (images as files with links). */
  private record Executed(CodeRun run, List<Map<String, Object>> outputs) {}

  /** Thrown from the chunk handler to cut the model's stream at a code block's end tag. */
  private static final class Cut extends RuntimeException {
    Cut() {
      super(null, null, false, false);
    }
  }
}
