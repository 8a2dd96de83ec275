package dev.sandcastle.orchestrator.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.conversation.Conversation;
import dev.sandcastle.orchestrator.conversation.ConversationPage;
import dev.sandcastle.orchestrator.conversation.ConversationService;
import dev.sandcastle.orchestrator.conversation.Message;
import dev.sandcastle.orchestrator.conversation.Transcript;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The signed-in user's stored chat conversations (snake_case JSON):
 *
 * <ul>
 *   <li>{@code GET /api/conversations?q=&limit=&offset=}: {@code {items: [{id, title, model,
 *       created_at, updated_at}], total}}, most recently updated first; {@code q} searches titles
 *       and message contents ignoring case; {@code limit} 1 to 1000 (default 50);
 *   <li>{@code POST /api/conversations} {@code {title?, model?}}: 201 with the new conversation;
 *   <li>{@code GET /api/conversations/{id}}: the conversation with {@code messages: [{position,
 *       role, content, extra?, created_at}]};
 *   <li>{@code PATCH /api/conversations/{id}} {@code {title}}: the renamed conversation;
 *   <li>{@code DELETE /api/conversations/{id}}: 204;
 *   <li>{@code POST /api/conversations/{id}/messages} {@code {messages: [{role, content, extra?}],
 *       from_position?}}: appends the messages, or with {@code from_position} replaces those from
 *       there on (regenerate); answers the conversation with its messages.
 * </ul>
 *
 * <p>The owner is the user {@link TenantAccess} authenticated (a session token, an Open WebUI
 * token, or the admin key with {@code X-User-Id}); another user's conversation is 404. Register
 * these before any catch-all route (the proxy's). Handlers run on the request's virtual thread;
 * failures are the {@link ConversationService}'s exceptions, mapped to HTTP by the API's one error
 * mapping.
 */
public final class ConversationRoutes {
  static final String BASE = "/api/conversations";
  static final int DEFAULT_LIMIT = 50;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ConversationService conversations;

  public ConversationRoutes(ConversationService conversations) {
    this.conversations = conversations;
  }

  public void register(RoutesConfig r) {
    r.get(BASE, ctx -> {
      ConversationPage page = conversations.list(owner(ctx), Optional.ofNullable(ctx.queryParam("q")),
          integer(ctx, "limit", DEFAULT_LIMIT), integer(ctx, "offset", 0));
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("items", page.items().stream().map(ConversationRoutes::view).toList());
      out.put("total", page.total());
      ctx.json(out);
    });
    r.post(BASE, ctx -> {
      NewConversation body = body(ctx, NewConversation.class);
      ctx.status(201).json(view(conversations.create(owner(ctx), body.title(), body.model())));
    });
    r.get(BASE + "/{id}", ctx -> ctx.json(view(conversations.get(owner(ctx), ctx.pathParam("id")))));
    r.patch(BASE + "/{id}", ctx -> {
      Rename body = body(ctx, Rename.class);
      if (body.title() == null) {
        throw new BadRequest("title is required");
      }
      ctx.json(view(conversations.rename(owner(ctx), ctx.pathParam("id"), body.title())));
    });
    r.delete(BASE + "/{id}", ctx -> {
      conversations.delete(owner(ctx), ctx.pathParam("id"));
      ctx.status(204);
    });
    r.post(BASE + "/{id}/messages", ctx -> {
      Messages body = body(ctx, Messages.class);
      if (body.messages() == null) {
        throw new BadRequest("messages is required: a list of {role, content, extra?}");
      }
      List<Message.Draft> drafts = new ArrayList<>();
      for (MessageBody m : body.messages()) {
        if (m == null || m.role() == null) {
          throw new BadRequest("every message needs a role: user, assistant, system or tool");
        }
        drafts.add(new Message.Draft(Message.Role.of(m.role()), m.content(), extra(m.extra())));
      }
      String owner = owner(ctx);
      String id = ctx.pathParam("id");
      Transcript t = body.fromPosition() == null ? conversations.append(owner, id, drafts)
          : conversations.replaceFrom(owner, id, body.fromPosition(), drafts);
      ctx.json(view(t));
    });
  }

  private static String owner(Context ctx) {
    return TenantAccess.tenantOf(ctx).map(TenantKey::userId)
        .orElseThrow(() -> new Unauthorized("sign in first: conversations belong to a user"));
  }

  private static <T> T body(Context ctx, Class<T> type) {
    if (ctx.body().isBlank()) {
      throw new BadRequest("a JSON body is required");
    }
    return ctx.bodyAsClass(type);
  }

  private static int integer(Context ctx, String name, int fallback) {
    String value = ctx.queryParam(name);
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be a whole number");
    }
  }

  private static String extra(JsonNode extra) {
    return extra == null || extra.isNull() || extra.isMissingNode() ? "" : JSON.writeValueAsString(extra);
  }

  private static Map<String, Object> view(Conversation c) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", c.id());
    out.put("title", c.title());
    out.put("model", c.model());
    out.put("created_at", c.createdAt().toString());
    out.put("updated_at", c.updatedAt().toString());
    return out;
  }

  private static Map<String, Object> view(Transcript t) {
    Map<String, Object> out = view(t.conversation());
    out.put("messages", t.messages().stream().map(ConversationRoutes::view).toList());
    return out;
  }

  private static Map<String, Object> view(Message m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("position", m.position());
    out.put("role", m.role().wire());
    out.put("content", m.content());
    if (!m.extra().isEmpty()) {
      try {
        out.put("extra", JSON.readTree(m.extra()));
      } catch (JacksonException e) {
        out.put("extra", m.extra()); // stored before it was checked: shown as it is
      }
    }
    out.put("created_at", m.createdAt().toString());
    return out;
  }

  record NewConversation(String title, String model) {}

  record Rename(String title) {}

  record MessageBody(String role, String content, JsonNode extra) {}

  record Messages(List<MessageBody> messages, @JsonProperty("from_position") Integer fromPosition) {}
}
