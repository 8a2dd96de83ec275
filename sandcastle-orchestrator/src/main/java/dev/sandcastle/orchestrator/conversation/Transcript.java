package dev.sandcastle.orchestrator.conversation;

import java.util.List;
import java.util.Objects;

/** A conversation with all its messages, in order of position. */
public record Transcript(Conversation conversation, List<Message> messages) {
  public Transcript {
    Objects.requireNonNull(conversation, "conversation");
    messages = List.copyOf(messages);
  }
}
