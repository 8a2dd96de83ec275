package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.workspace.Workspace;
import java.util.Objects;
import java.util.Optional;

/**
 * Whose code runs, and for which chat.
 *
 * @param userId the authenticated user the code runs for
 * @param chatId the chat the code belongs to: engines keep one persistent interpreter per chat, so
 *     variables and imports of one turn are there in the next
 * @param workspace the user's workspace, when the user has one here (the workspace engine needs
 *     it; the others ignore it)
 */
public record EngineContext(String userId, String chatId, Optional<Workspace> workspace) {
  public EngineContext {
    requireText(userId, "userId");
    requireText(chatId, "chatId");
    Objects.requireNonNull(workspace, "workspace");
  }

  /** A context with the user's workspace. */
  public EngineContext(String userId, String chatId, Workspace workspace) {
    this(userId, chatId, Optional.of(workspace));
  }

  /** A context without a workspace. */
  public EngineContext(String userId, String chatId) {
    this(userId, chatId, Optional.empty());
  }

  private static void requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  @Override
  public String toString() {
    return "EngineContext[userId=" + userId + ", chatId=" + chatId + ", workspace="
        + workspace.map(Workspace::name).orElse("none") + "]";
  }
}
