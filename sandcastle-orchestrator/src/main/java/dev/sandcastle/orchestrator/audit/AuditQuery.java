package dev.sandcastle.orchestrator.audit;

import dev.sandcastle.core.errors.BadRequest;
import java.time.Instant;

/**
 * Which audit events to read, newest first. Start from {@link #all()} and narrow it down.
 *
 * @param action only this action ("" = any); must be one of {@link AuditEvent#ACTIONS}
 * @param userId only this user ("" = any)
 * @param since only events at or after this time ({@link Instant#EPOCH} = no lower bound)
 * @param until only events before this time ({@link #NO_END} = no upper bound)
 * @param limit at most this many events, 1 to {@value #MAX_LIMIT} (larger values are lowered to it)
 * @param offset skip this many (newest) events first
 * @throws BadRequest for an unknown action, a negative offset, a limit below 1 or {@code since} after {@code until}
 */
public record AuditQuery(String action, String userId, Instant since, Instant until, int limit, int offset) {
  public static final int MAX_LIMIT = 1000;
  public static final int DEFAULT_LIMIT = 100;
  /** The open upper bound. */
  public static final Instant NO_END = Instant.parse("9999-12-31T23:59:59Z");

  public AuditQuery {
    action = action == null ? "" : action;
    userId = userId == null ? "" : userId;
    since = since == null ? Instant.EPOCH : since;
    until = until == null ? NO_END : until;
    if (!action.isEmpty() && !AuditEvent.ACTIONS.contains(action)) {
      throw new BadRequest("unknown audit action '" + action + "'; expected one of " + new java.util.TreeSet<>(AuditEvent.ACTIONS));
    }
    if (limit < 1) {
      throw new BadRequest("an audit query's limit must be at least 1");
    }
    limit = Math.min(limit, MAX_LIMIT);
    if (offset < 0) {
      throw new BadRequest("an audit query's offset must not be negative");
    }
    if (since.isAfter(until)) {
      throw new BadRequest("an audit query's 'since' must not be after its 'until'");
    }
  }

  /** Every event, first page of {@value #DEFAULT_LIMIT}. */
  public static AuditQuery all() {
    return new AuditQuery("", "", Instant.EPOCH, NO_END, DEFAULT_LIMIT, 0);
  }

  public AuditQuery action(String value) {
    return new AuditQuery(value, userId, since, until, limit, offset);
  }

  public AuditQuery user(String value) {
    return new AuditQuery(action, value, since, until, limit, offset);
  }

  /** Events at or after {@code from} and before {@code to}. */
  public AuditQuery between(Instant from, Instant to) {
    return new AuditQuery(action, userId, from, to, limit, offset);
  }

  public AuditQuery page(int newLimit, int newOffset) {
    return new AuditQuery(action, userId, since, until, newLimit, newOffset);
  }
}
