package dev.sandcastle.orchestrator.conversation;

import dev.sandcastle.core.errors.BadRequest;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One stored message of a conversation.
 *
 * @param position its place in the conversation, from 0, without gaps
 * @param content its text, {@code ""} when it has none
 * @param extra JSON text the front end keeps with it (tool calls, executions), {@code ""} when none
 */
public record Message(int position, Role role, String content, String extra, Instant createdAt) {
  public Message {
    if (position < 0) {
      throw new IllegalArgumentException("a message position is 0 or more");
    }
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(extra, "extra");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Who wrote a message. */
  public enum Role {
    USER, ASSISTANT, SYSTEM, TOOL;

    /** The name on the wire and in the database: {@code user}, {@code assistant}, {@code system}, {@code tool}. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The role with this wire name.
     *
     * @throws BadRequest for any other name
     */
    public static Role of(String wire) {
      for (Role role : values()) {
        if (role.wire().equals(wire)) {
          return role;
        }
      }
      throw new BadRequest("a message role is one of user, assistant, system, tool");
    }
  }

  /**
   * A message to add: positions and times are given by the service. Sizes are checked by the
   * service, which says which limit was crossed.
   *
   * @param content its text ({@code null} is taken as {@code ""})
   * @param extra JSON text or {@code ""} ({@code null} is taken as {@code ""})
   */
  public record Draft(Role role, String content, String extra) {
    public Draft {
      Objects.requireNonNull(role, "role");
      content = content == null ? "" : content;
      extra = extra == null ? "" : extra;
    }
  }
}
