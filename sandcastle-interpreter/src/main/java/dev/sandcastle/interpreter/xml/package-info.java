/**
 * Open WebUI's XML code-interpreter mode, in which the model writes its code between {@code
 * <code_interpreter …>} tags in its reply instead of calling a tool.
 *
 * <p>{@link dev.sandcastle.interpreter.xml.CodeTagParser} finds the code block in the streamed
 * reply (tags split across chunks, tags inside reasoning blocks ignored, code cleaned of fences and
 * ANSI escapes); {@link dev.sandcastle.interpreter.xml.XmlPrompt} holds the text sent to the model:
 * the instructions and the follow-up message that reports a run. Nothing here does I/O or fails on
 * odd model output.
 */
package dev.sandcastle.interpreter.xml;
