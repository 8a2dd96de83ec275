package dev.sandcastle.interpreter.openai;

import java.util.Objects;

/**
 * One complete function call of an assistant message.
 *
 * @param id the call id to answer with a {@code tool} message's {@code tool_call_id}
 * @param name the function name
 * @param arguments the arguments as the model wrote them: normally a JSON object's text, but not
 *     checked (a model may write invalid JSON, or nothing)
 */
public record ToolCall(String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }
}
