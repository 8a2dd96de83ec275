package dev.sandcastle.orchestrator.conversation;

import java.util.List;

/**
 * One page of a user's conversations, newest first.
 *
 * @param total how many conversations match in all (not only on this page)
 */
public record ConversationPage(List<Conversation> items, long total) {
  public ConversationPage {
    items = List.copyOf(items);
    if (total < items.size()) {
      throw new IllegalArgumentException("a page cannot hold more items than match");
    }
  }
}
