package dev.sandcastle.orchestrator.conversation;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.orchestrator.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The conversations and messages tables. Every method is one short transaction on a pooled
 * connection and looks rows up by owner and id together, so another owner's row is simply absent.
 * Safe from any number of threads; database failures surface as JDBI's unchecked exceptions.
 */
final class ConversationRepository {
  private static final String COLUMNS = "id, owner, title, model, created_at, updated_at";
  /** The search condition; {@code :pattern} is a LIKE pattern with '!' as its escape character. */
  private static final String MATCHES = " AND (lower(title) LIKE lower(:pattern) ESCAPE '!' OR EXISTS (SELECT 1 FROM messages m"
      + " WHERE m.conversation_id = conversations.id AND lower(m.content) LIKE lower(:pattern) ESCAPE '!'))";

  private final Jdbi jdbi;

  ConversationRepository(Database database) {
    this.jdbi = database.jdbi();
  }

  /**
   * Stores a new conversation unless its owner has {@code maxPerOwner} already. Concurrent creations
   * by one owner may overshoot the limit by a few; it bounds storage, not a contract.
   *
   * @throws QuotaExceeded when the owner has {@code maxPerOwner} conversations
   */
  void insert(Conversation c, int maxPerOwner) {
    jdbi.useTransaction(h -> {
      long owned = h.createQuery("SELECT COUNT(*) FROM conversations WHERE owner = :owner").bind("owner", c.owner())
          .mapTo(Long.class).one();
      if (owned >= maxPerOwner) {
        throw new QuotaExceeded("you have " + maxPerOwner + " conversations, the most one user may keep: delete some first");
      }
      h.createUpdate("INSERT INTO conversations (" + COLUMNS + ") VALUES (:id, :owner, :title, :model, :created, :updated)")
          .bind("id", c.id()).bind("owner", c.owner()).bind("title", c.title()).bind("model", c.model())
          .bind("created", c.createdAt()).bind("updated", c.updatedAt()).execute();
    });
  }

  Optional<Conversation> find(String owner, String id) {
    return jdbi.withHandle(h -> find(h, owner, id, false));
  }

  /** The conversation with its messages, read in one transaction. */
  Optional<Transcript> transcript(String owner, String id) {
    return jdbi.inTransaction(h -> find(h, owner, id, false).map(c -> new Transcript(c, messages(h, id))));
  }

  /** A page of the owner's conversations, newest first, optionally only those matching a LIKE pattern. */
  ConversationPage page(String owner, Optional<String> pattern, int limit, int offset) {
    String where = " FROM conversations WHERE owner = :owner" + (pattern.isPresent() ? MATCHES : "");
    return jdbi.inTransaction(h -> {
      var count = h.createQuery("SELECT COUNT(*)" + where).bind("owner", owner);
      var select = h.createQuery("SELECT " + COLUMNS + where + " ORDER BY updated_at DESC, id DESC LIMIT :limit OFFSET :offset")
          .bind("owner", owner).bind("limit", limit).bind("offset", offset);
      pattern.ifPresent(p -> {
        count.bind("pattern", p);
        select.bind("pattern", p);
      });
      long total = count.mapTo(Long.class).one();
      return new ConversationPage(select.map(ConversationRepository::row).list(), total);
    });
  }

  /** Sets the title; false when the owner has no such conversation. */
  boolean rename(String owner, String id, String title, Instant now) {
    return jdbi.withHandle(h -> h.createUpdate("UPDATE conversations SET title = :title, updated_at = :now WHERE id = :id AND owner = :owner")
        .bind("title", title).bind("now", now).bind("id", id).bind("owner", owner).execute()) == 1;
  }

  /** Deletes the conversation and its messages; false when the owner has no such conversation. */
  boolean delete(String owner, String id) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM conversations WHERE id = :id AND owner = :owner")
        .bind("id", id).bind("owner", owner).execute()) == 1;
  }

  /**
   * Drops the messages from {@code from} on (none when {@code from} is empty: an append) and adds
   * {@code drafts} after the rest, bumping the conversation's update time, in one transaction that
   * holds the conversation's row lock (so concurrent appends to one conversation take turns).
   *
   * @return the conversation with its messages afterwards; empty when the owner has no such conversation
   * @throws BadRequest when {@code from} is beyond the last message
   * @throws QuotaExceeded when the conversation would hold more than {@code maxMessages} messages
   */
  Optional<Transcript> replaceFrom(String owner, String id, Optional<Integer> from, List<Message.Draft> drafts, Instant now,
      int maxMessages) {
    return jdbi.inTransaction(h -> {
      if (find(h, owner, id, true).isEmpty()) {
        return Optional.<Transcript>empty();
      }
      int size = h.createQuery("SELECT COUNT(*) FROM messages WHERE conversation_id = :id").bind("id", id).mapTo(Integer.class).one();
      int start = from.orElse(size);
      if (start > size) {
        throw new BadRequest("position " + start + " is beyond the end of the conversation, which has " + size + " messages");
      }
      if ((long) start + drafts.size() > maxMessages) {
        throw new QuotaExceeded("a conversation holds at most " + maxMessages + " messages: start a new one");
      }
      h.createUpdate("DELETE FROM messages WHERE conversation_id = :id AND position >= :start").bind("id", id).bind("start", start)
          .execute();
      if (!drafts.isEmpty()) {
        PreparedBatch batch = h.prepareBatch("INSERT INTO messages (id, conversation_id, position, role, content, extra, created_at)"
            + " VALUES (:mid, :id, :position, :role, :content, :extra, :now)");
        int position = start;
        for (Message.Draft d : drafts) {
          batch.bind("mid", UUID.randomUUID().toString()).bind("id", id).bind("position", position++).bind("role", d.role().wire())
              .bind("content", d.content()).bind("extra", d.extra()).bind("now", now).add();
        }
        batch.execute();
      }
      h.createUpdate("UPDATE conversations SET updated_at = :now WHERE id = :id").bind("now", now).bind("id", id).execute();
      return Optional.of(new Transcript(find(h, owner, id, false).orElseThrow(), messages(h, id)));
    });
  }

  private static Optional<Conversation> find(Handle h, String owner, String id, boolean lock) {
    return h.createQuery("SELECT " + COLUMNS + " FROM conversations WHERE id = :id AND owner = :owner" + (lock ? " FOR UPDATE" : ""))
        .bind("id", id).bind("owner", owner).map(ConversationRepository::row).findOne();
  }

  private static List<Message> messages(Handle h, String id) {
    return h.createQuery("SELECT position, role, content, extra, created_at FROM messages WHERE conversation_id = :id ORDER BY position")
        .bind("id", id)
        .map((rs, ctx) -> new Message(rs.getInt("position"), Message.Role.of(rs.getString("role")), rs.getString("content"),
            rs.getString("extra"), ctx.findColumnMapperFor(Instant.class).orElseThrow().map(rs, "created_at", ctx)))
        .list();
  }

  private static Conversation row(ResultSet rs, StatementContext ctx) throws SQLException {
    var instants = ctx.findColumnMapperFor(Instant.class).orElseThrow();
    return new Conversation(rs.getString("id"), rs.getString("owner"), rs.getString("title"), rs.getString("model"),
        instants.map(rs, "created_at", ctx), instants.map(rs, "updated_at", ctx));
  }
}
