package dev.sandcastle.orchestrator.conversation;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.orchestrator.db.Database;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chat conversations users keep: create, list and search, read, rename, delete, and add or
 * replace messages. Every operation names the owner (the authenticated user id); a conversation
 * of another owner is {@link NotFound}, exactly like one that does not exist, so ids cannot be
 * probed.
 *
 * <p>Limits: a title of at most {@value #MAX_TITLE} characters (control characters become spaces),
 * a model name of at most {@value #MAX_MODEL}, a message's content and its extra JSON of at most
 * {@value #MAX_CONTENT_BYTES} bytes each in UTF-8 ({@link BadRequest} beyond), at most
 * {@value #MAX_MESSAGES} messages per conversation and {@value #MAX_CONVERSATIONS} conversations per
 * owner ({@link QuotaExceeded} beyond; concurrent creations may overshoot the latter by a few).
 *
 * <p>Thread-safe; every method is a short blocking database call (run it on a virtual thread).
 * Database failures surface as JDBI's unchecked exceptions.
 */
public final class ConversationService {
  public static final int MAX_TITLE = 512;
  public static final int MAX_MODEL = 256;
  public static final int MAX_OWNER = 256;
  public static final int MAX_CONTENT_BYTES = 1_000_000;
  public static final int MAX_MESSAGES = 10_000;
  public static final int MAX_CONVERSATIONS = 10_000;
  /** The most conversations {@link #list} returns at once. */
  public static final int MAX_PAGE = 1000;
  static final int MAX_QUERY = 512;
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ConversationRepository conversations;
  private final Clock clock;
  private final int maxMessages;
  private final int maxConversations;

  public ConversationService(Database database) {
    this(new ConversationRepository(database), Clock.systemUTC(), MAX_MESSAGES, MAX_CONVERSATIONS);
  }

  ConversationService(ConversationRepository conversations, Clock clock, int maxMessages, int maxConversations) {
    this.conversations = conversations;
    this.clock = clock;
    this.maxMessages = maxMessages;
    this.maxConversations = maxConversations;
  }

  /**
   * Starts an empty conversation.
   *
   * @param title its title ({@code null} or blank: none)
   * @param model the model it is held with ({@code null} or blank: unknown)
   * @throws BadRequest when the title or model is too long
   * @throws QuotaExceeded when the owner has the most conversations one may keep
   */
  public Conversation create(String owner, String title, String model) {
    String who = owner(owner);
    Instant now = now();
    Conversation c = new Conversation(UUID.randomUUID().toString(), who, title(title), model(model), now, now);
    conversations.insert(c, maxConversations);
    return c;
  }

  /**
   * A page of the owner's conversations, most recently updated first.
   *
   * @param query when present and not blank, only conversations whose title or some message's
   *     content contains it, ignoring case ({@code %} and {@code _} are matched literally)
   * @param limit 1 to {@value #MAX_PAGE}
   * @param offset how many matching conversations to skip, 0 or more
   * @throws BadRequest for a limit, offset or query out of range
   */
  public ConversationPage list(String owner, Optional<String> query, int limit, int offset) {
    String who = owner(owner);
    if (limit < 1 || limit > MAX_PAGE) {
      throw new BadRequest("limit must be between 1 and " + MAX_PAGE);
    }
    if (offset < 0) {
      throw new BadRequest("offset must be 0 or more");
    }
    Optional<String> text = query.map(String::strip).filter(q -> !q.isEmpty());
    if (text.isPresent() && text.get().length() > MAX_QUERY) {
      throw new BadRequest("a search is at most " + MAX_QUERY + " characters");
    }
    return conversations.page(who, text.map(q -> "%" + likeEscaped(q) + "%"), limit, offset);
  }

  /**
   * The conversation with its messages in order.
   *
   * @throws NotFound when the owner has no such conversation
   */
  public Transcript get(String owner, String id) {
    return conversations.transcript(owner(owner), id(id)).orElseThrow(ConversationService::notFound);
  }

  /**
   * Gives the conversation a new title (and bumps its update time).
   *
   * @throws BadRequest when the title is too long
   * @throws NotFound when the owner has no such conversation
   */
  public Conversation rename(String owner, String id, String title) {
    String who = owner(owner);
    String key = id(id);
    if (!conversations.rename(who, key, title(title), now())) {
      throw notFound();
    }
    return conversations.find(who, key).orElseThrow(ConversationService::notFound);
  }

  /**
   * Deletes the conversation and its messages.
   *
   * @throws NotFound when the owner has no such conversation
   */
  public void delete(String owner, String id) {
    if (!conversations.delete(owner(owner), id(id))) {
      throw notFound();
    }
  }

  /**
   * Adds messages after the last one and bumps the conversation's update time.
   *
   * @return the conversation with all its messages afterwards
   * @throws BadRequest when a message is too large or its extra is not JSON
   * @throws QuotaExceeded when the conversation would hold more messages than allowed
   * @throws NotFound when the owner has no such conversation
   */
  public Transcript append(String owner, String id, List<Message.Draft> messages) {
    return replace(owner, id, Optional.empty(), messages);
  }

  /**
   * Drops the messages from {@code position} on and adds {@code messages} in their place, as
   * "regenerate" and "edit and resend" do; {@code position} equal to the number of messages is an
   * append. Bumps the conversation's update time.
   *
   * @return the conversation with all its messages afterwards
   * @throws BadRequest when {@code position} is negative or beyond the last message, or a message is
   *     too large or its extra is not JSON
   * @throws QuotaExceeded when the conversation would hold more messages than allowed
   * @throws NotFound when the owner has no such conversation
   */
  public Transcript replaceFrom(String owner, String id, int position, List<Message.Draft> messages) {
    if (position < 0) {
      throw new BadRequest("a message position is 0 or more");
    }
    return replace(owner, id, Optional.of(position), messages);
  }

  private Transcript replace(String owner, String id, Optional<Integer> from, List<Message.Draft> messages) {
    String who = owner(owner);
    String key = id(id);
    List<Message.Draft> drafts = List.copyOf(messages);
    if (drafts.size() > maxMessages) {
      throw new QuotaExceeded("a conversation holds at most " + maxMessages + " messages: start a new one");
    }
    for (Message.Draft d : drafts) {
      check(d);
    }
    return conversations.replaceFrom(who, key, from, drafts, now(), maxMessages).orElseThrow(ConversationService::notFound);
  }

  private static void check(Message.Draft d) {
    if (utf8Length(d.content()) > MAX_CONTENT_BYTES) {
      throw new BadRequest("a message's content is at most " + MAX_CONTENT_BYTES + " bytes (1 MB)");
    }
    if (!d.extra().isEmpty()) {
      if (utf8Length(d.extra()) > MAX_CONTENT_BYTES) {
        throw new BadRequest("a message's extra data is at most " + MAX_CONTENT_BYTES + " bytes (1 MB)");
      }
      try {
        JSON.readTree(d.extra());
      } catch (JacksonException e) {
        throw new BadRequest("a message's extra data must be JSON");
      }
    }
  }

  /** The UTF-8 length of a string, or its char count when that cannot exceed the limit (cheap for short texts). */
  private static long utf8Length(String s) {
    if ((long) s.length() * 3 <= MAX_CONTENT_BYTES) {
      return s.length();
    }
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** {@code text} with the LIKE wildcards and the escape character '!' escaped by '!'. */
  static String likeEscaped(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '!' || c == '%' || c == '_') {
        out.append('!');
      }
      out.append(c);
    }
    return out.toString();
  }

  private Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  private static String owner(String owner) {
    if (owner == null || owner.isEmpty() || owner.length() > MAX_OWNER) {
      throw new BadRequest("a conversation's owner is a user id of 1 to " + MAX_OWNER + " characters");
    }
    return owner;
  }

  /** An id as given; one that cannot be a conversation's is the same NotFound as an unknown one. */
  private static String id(String id) {
    if (id == null || id.isEmpty() || id.length() > 36) {
      throw notFound();
    }
    return id;
  }

  private static String title(String title) {
    String t = title == null ? "" : CONTROL.matcher(title).replaceAll(" ").strip();
    if (t.length() > MAX_TITLE) {
      throw new BadRequest("a title is at most " + MAX_TITLE + " characters");
    }
    return t;
  }

  private static String model(String model) {
    String m = model == null ? "" : model.strip();
    if (m.length() > MAX_MODEL) {
      throw new BadRequest("a model name is at most " + MAX_MODEL + " characters");
    }
    return m;
  }

  private static NotFound notFound() {
    return new NotFound("there is no such conversation");
  }
}
