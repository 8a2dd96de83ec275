package dev.sandcastle.interpreter.chat;

import tools.jackson.databind.node.ObjectNode;

/** Where a completion goes, one OpenAI chunk at a time: an SSE stream, or a collector for a whole answer. */
@FunctionalInterface
public interface ChatSink {
  void chunk(ObjectNode chunk);
}
