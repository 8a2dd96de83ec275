package dev.sandcastle.orchestrator.conversation;

import java.time.Instant;
import java.util.Objects;

/**
 * One stored chat conversation, without its messages.
 *
 * @param owner the user id it belongs to (a local account's id or an Open WebUI user id)
 * @param title its title, {@code ""} when it has none
 * @param model the model it was held with, {@code ""} when unknown
 * @param updatedAt when it or its messages last changed; lists are ordered by it, newest first
 */
public record Conversation(String id, String owner, String title, String model, Instant createdAt, Instant updatedAt) {
  public Conversation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }
}
