package dev.sandcastle.interpreter.xml;

import java.util.Objects;

/**
 * The text exchanged with the model in XML code-interpreter mode: the instructions added to the
 * last user message, and the assistant message that reports a run before the model is called
 * again (in the format Open WebUI uses, so that chats move between the two).
 *
 * <p>Pure functions of their arguments; safe from any thread.
 */
public final class XmlPrompt {

  private static final String INSTRUCTIONS = """
      You can run Python code. To run code, write it between the tags \
      <code_interpreter type="code" lang="python"> and </code_interpreter>, then stop and wait: \
      the code is run, and its output comes back to you in a <code_interpreter_output> block \
      before you go on with your answer.

      How to write code for it:
      - Write plain Python between the tags. Never put triple backticks or any other Markdown \
      fence inside them.
      - You see only what the code prints: the value of the last expression is not shown. Print \
      every result you want to see or talk about.
      - If the output contains an image link or a file link, put it in your answer exactly as \
      it was printed, character for character, so that the user can see or download it.
      - The code runs in the user's own persistent workspace: the user's files are in the home \
      directory, and variables, imports and files are kept from one run to the next, so build on \
      earlier runs instead of repeating them.
      - Run code only when it helps to answer, one block at a time, and explain the result in \
      words after the output arrives.""";

  private XmlPrompt() {
  }

  /** The instructions that tell the model how to run code (several lines, no trailing newline). */
  public static String instructions() {
    return INSTRUCTIONS;
  }

  /**
   * The assistant message appended after a run, before the model is called again:
   * {@code <code_interpreter>\n{code}\n</code_interpreter>\n<code_interpreter_output>\n{output}\n</code_interpreter_output>}.
   *
   * @param code the code that ran
   * @param output what the model should see of its output (stdout, and errors)
   */
  public static String followUp(String code, String output) {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(output, "output");
    return "<code_interpreter>\n" + code + "\n</code_interpreter>\n"
        + "<code_interpreter_output>\n" + output + "\n</code_interpreter_output>";
  }

  /**
   * The last user message with the {@linkplain #instructions() instructions} added after it, as
   * Open WebUI adds its prompt: {@code {message}\n\n{instructions}}, or the instructions alone when
   * the message is blank. For a message made of several parts, pass its text part.
   *
   * @param lastUserMessage the text of the last user message
   */
  public static String appendTo(String lastUserMessage) {
    Objects.requireNonNull(lastUserMessage, "lastUserMessage");
    if (lastUserMessage.isBlank()) {
      return INSTRUCTIONS;
    }
    return lastUserMessage + "\n\n" + INSTRUCTIONS;
  }
}
