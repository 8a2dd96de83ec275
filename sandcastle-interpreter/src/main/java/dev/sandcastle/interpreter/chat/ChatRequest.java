package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.errors.BadRequest;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A chat completion request with the options of Open WebUI's own chat payload: {@code
 * features.code_interpreter}, {@code features.terminal} (the two exclude each other), {@code
 * params.function_calling} ({@code native} or {@code legacy}), and ours: {@code
 * params.code_interpreter_engine}, {@code params.code_interpreter_rounds}, {@code
 * params.code_interpreter_timeout} (seconds), {@code params.code_interpreter_details} (also render
 * each execution as upstream's {@code <details type="code_interpreter">} block). The chat id
 * ({@code chat_id}, or {@code metadata.chat_id}) picks the kernel.
 */
record ChatRequest(
    ObjectNode body, String model, ArrayNode messages, boolean codeInterpreter, boolean terminal, boolean legacy, String engine,
    int maxRounds, Duration codeTimeout, boolean detailsBlocks, String chatId) {

  static ChatRequest of(ObjectNode body, ChatSettings settings) {
    String model = body.path("model").asString("");
    if (model.isEmpty()) {
      throw new BadRequest("'model' is required");
    }
    if (!(body.get("messages") instanceof ArrayNode messages) || messages.isEmpty()) {
      throw new BadRequest("'messages' must be a non-empty array");
    }
    JsonNode features = body.path("features");
    JsonNode params = body.path("params");
    boolean terminal = features.path("terminal").asBoolean(false);
    boolean code = features.path("code_interpreter").asBoolean(!terminal && !features.has("code_interpreter") ? true : false);
    if (code && terminal) {
      throw new BadRequest("features.code_interpreter and features.terminal exclude each other: enable one");
    }
    String calling = params.path("function_calling").asString(settings.legacy() ? "legacy" : "native");
    if (!calling.equals("native") && !calling.equals("legacy") && !calling.equals("default")) {
      throw new BadRequest("params.function_calling must be 'native' or 'legacy'");
    }
    String engine = engine(params.path("code_interpreter_engine").asString(settings.engine()), "params.code_interpreter_engine");
    int rounds = params.path("code_interpreter_rounds").asInt(settings.maxRounds());
    if (rounds < 1 || rounds > settings.maxRounds()) {
      throw new BadRequest("params.code_interpreter_rounds must be between 1 and " + settings.maxRounds());
    }
    Duration timeout = timeout(params.path("code_interpreter_timeout"), "params.code_interpreter_timeout", settings);
    String chatId = chatId(body.path("chat_id").asString(body.path("metadata").path("chat_id").asString("default")));
    if (body.has("tools") && !(body.get("tools") instanceof ArrayNode)) {
      throw new BadRequest("'tools' must be an array");
    }
    return new ChatRequest(body, model, messages, code, terminal, !calling.equals("native"), engine, rounds, timeout,
        params.path("code_interpreter_details").asBoolean(false), chatId);
  }

  /**
   * A request to run code without a model (the front end's re-run button):
   * {@code {code, engine?, chat_id?, timeout?}}.
   */
  static ChatRequest ofCode(ObjectNode body, ChatSettings settings) {
    String code = body.path("code").asString("");
    if (code.isBlank()) {
      throw new BadRequest("'code' is required");
    }
    if (code.length() > MAX_CODE_CHARS) {
      throw new BadRequest("'code' is longer than " + MAX_CODE_CHARS + " characters");
    }
    String engine = engine(body.path("engine").asString(settings.engine()), "'engine'");
    Duration timeout = timeout(body.path("timeout"), "'timeout'", settings);
    String chatId = chatId(body.path("chat_id").asString("default"));
    return new ChatRequest(body, "", body.arrayNode(), true, false, false, engine, 1, timeout, false, chatId);
  }

  /** Characters of code one re-run may carry. */
  static final int MAX_CODE_CHARS = 1 << 20;

  private static String engine(String engine, String field) {
    if (!engine.equals("workspace") && !engine.equals("jupyter") && !engine.equals("pyodide")) {
      throw new BadRequest(field + " must be workspace, jupyter or pyodide");
    }
    return engine;
  }

  /** A run's time limit in seconds, the server's limit when absent, never above it. */
  private static Duration timeout(JsonNode value, String field, ChatSettings settings) {
    long seconds = value.asLong(settings.codeTimeout().toSeconds());
    if (seconds < 1 || seconds > settings.codeTimeout().toSeconds()) {
      throw new BadRequest(field + " must be between 1 and " + settings.codeTimeout().toSeconds() + " seconds");
    }
    return Duration.ofSeconds(seconds);
  }

  private static String chatId(String chatId) {
    if (chatId.isBlank() || chatId.length() > 256 || chatId.chars().anyMatch(Character::isISOControl)) {
      throw new BadRequest("chat_id must be 1-256 characters, not blank, without control characters");
    }
    return chatId;
  }

  /** The body for the upstream: the client's, without our options, with this round's messages. */
  ObjectNode upstreamBody(ArrayNode conversation) {
    ObjectNode call = body.deepCopy();
    for (String ours : new String[] {"features", "params", "chat_id", "metadata", "files", "stream", "stream_options"}) {
      call.remove(ours);
    }
    call.set("messages", conversation.deepCopy());
    return call;
  }
}
