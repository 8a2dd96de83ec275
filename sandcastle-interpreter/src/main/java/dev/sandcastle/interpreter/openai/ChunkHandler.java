package dev.sandcastle.interpreter.openai;

import tools.jackson.databind.node.ObjectNode;

/**
 * Receives the chunks of one streamed chat completion, see {@link OpenAiClient#stream}.
 *
 * <p>Called on the thread that called {@code stream}, once per chunk, in order, as each arrives.
 * The handler may block (that holds back reading from the upstream). If it throws, the upstream
 * connection is closed and {@code stream} rethrows the same exception.
 */
@FunctionalInterface
public interface ChunkHandler {
  /**
   * One {@code chat.completion.chunk} object, as the upstream sent it. The handler owns it (it
   * may keep or modify it).
   */
  void chunk(ObjectNode chunk);
}
