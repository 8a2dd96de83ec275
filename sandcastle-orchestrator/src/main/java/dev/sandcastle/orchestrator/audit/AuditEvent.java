package dev.sandcastle.orchestrator.audit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One entry of the audit trail: who did what to which resource, from where, with what outcome.
 * Build one with {@link #builder(String)}; absent text is {@code ""}, an absent status code is 0.
 *
 * <p>The compact constructor fills in what is missing (a random UUID id, the action's default
 * severity, the current time), truncates client-supplied text to the stored widths (user agent
 * 512, IP address 64, request id 128, resource type 64, user and resource id 256 characters) and
 * the time to microseconds, and rejects an unknown action or severity with
 * {@link IllegalArgumentException}.
 *
 * @param id a UUID; the SIEM receiver deduplicates on it
 * @param action one of {@link #ACTIONS}
 * @param severity {@code info}, {@code warning} or {@code critical} ({@code auth_failed} defaults to critical)
 * @param detail free-form details, copied as JSON values (strings, booleans, integers, doubles,
 *     lists, maps, nulls; any other value becomes its {@code toString()}); stored as a JSON object
 *     of at most 64 KiB (a larger one is replaced by a note of its size)
 * @param statusCode the HTTP status of the request, 0 when none
 */
public record AuditEvent(
    String id, String action, String severity, String userId, String requestId, String resourceType,
    String resourceId, Map<String, Object> detail, String ipAddress, String userAgent, int statusCode, Instant createdAt) {

  public static final String PROXY_REQUEST = "proxy_request";
  public static final String TENANT_CREATED = "tenant_created";
  public static final String TENANT_STARTED = "tenant_started";
  public static final String TENANT_STOPPED = "tenant_stopped";
  public static final String TENANT_DELETED = "tenant_deleted";
  public static final String TENANT_REPROVISIONED = "tenant_reprovisioned";
  /** A workspace wiped by its policy's reset schedule (ours). */
  public static final String TENANT_RESET = "tenant_reset";
  public static final String IDLE_CLEANUP = "idle_cleanup";
  public static final String AUTH_FAILED = "auth_failed";
  public static final String WS_CONNECT = "ws_connect";
  public static final String WS_DISCONNECT = "ws_disconnect";
  /** A change made through the admin API (ours); the detail says which. */
  public static final String ADMIN_ACTION = "admin_action";
  /** Events past the retention period deleted from the database (ours); the detail says how many. */
  public static final String AUDIT_PRUNED = "audit_pruned";
  /** A local account's session signed out, one token or everywhere (ours); the detail says which. */
  public static final String SIGN_OUT = "sign_out";

  /** Every valid action. */
  public static final Set<String> ACTIONS = Set.of(PROXY_REQUEST, TENANT_CREATED, TENANT_STARTED, TENANT_STOPPED,
      TENANT_DELETED, TENANT_REPROVISIONED, TENANT_RESET, IDLE_CLEANUP, AUTH_FAILED, WS_CONNECT, WS_DISCONNECT,
      ADMIN_ACTION, AUDIT_PRUNED, SIGN_OUT);

  public static final String INFO = "info";
  public static final String WARNING = "warning";
  public static final String CRITICAL = "critical";
  /** Every valid severity. */
  public static final Set<String> SEVERITIES = Set.of(INFO, WARNING, CRITICAL);

  public AuditEvent {
    id = id == null || id.isEmpty() ? UUID.randomUUID().toString() : id;
    if (id.length() > 36) {
      throw new IllegalArgumentException("an audit event id is at most 36 characters");
    }
    if (action == null || !ACTIONS.contains(action)) {
      throw new IllegalArgumentException("unknown audit action: " + action);
    }
    severity = severity == null || severity.isEmpty() ? defaultSeverity(action) : severity;
    if (!SEVERITIES.contains(severity)) {
      throw new IllegalArgumentException("unknown audit severity: " + severity);
    }
    userId = cut(userId, 256);
    requestId = cut(requestId, 128);
    resourceType = cut(resourceType, 64);
    resourceId = cut(resourceId, 256);
    ipAddress = cut(ipAddress, 64);
    userAgent = cut(userAgent, 512);
    if (detail == null || detail.isEmpty()) {
      detail = Map.of();
    } else {
      if (detail.containsKey(null)) {
        throw new IllegalArgumentException("audit detail keys must not be null");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) jsonValue(detail);
      detail = json;
    }
    if (statusCode != 0 && (statusCode < 100 || statusCode > 599)) {
      throw new IllegalArgumentException("an HTTP status code is 100-599 (or 0 for none)");
    }
    createdAt = (createdAt == null ? Instant.now() : createdAt).truncatedTo(ChronoUnit.MICROS);
  }

  /** {@code critical} for {@code auth_failed}, else {@code info}. */
  public static String defaultSeverity(String action) {
    return AUTH_FAILED.equals(action) ? CRITICAL : INFO;
  }

  /** A builder for an event of this action, stamped now with a fresh id when built. */
  public static Builder builder(String action) {
    return new Builder(action);
  }

  /**
   * An immutable copy made of JSON values only: strings, booleans, integers (as Integer or Long),
   * floating point numbers (as Double), lists, maps with string keys and nulls; anything else
   * becomes its {@code toString()}.
   */
  private static Object jsonValue(Object value) {
    return switch (value) {
      case null -> null;
      case String s -> s;
      case Boolean b -> b;
      case Integer i -> i;
      case Long l -> l;
      case Short s -> (int) s;
      case Byte b -> (int) b;
      case Double d -> d;
      case Float f -> Double.parseDouble(f.toString());
      case java.math.BigInteger big -> big.bitLength() < 64 ? (Object) big.longValue() : big.toString();
      case Map<?, ?> map -> {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(String.valueOf(k), jsonValue(v)));
        yield Collections.unmodifiableMap(copy);
      }
      case Iterable<?> items -> {
        java.util.List<Object> copy = new java.util.ArrayList<>();
        items.forEach(item -> copy.add(jsonValue(item)));
        yield Collections.unmodifiableList(copy);
      }
      case Object[] items -> jsonValue(java.util.Arrays.asList(items));
      default -> String.valueOf(value);
    };
  }

  private static String cut(String value, int max) {
    if (value == null) {
      return "";
    }
    return value.length() <= max ? value : value.substring(0, max);
  }

  /** Collects an event's fields; not thread-safe; {@link #build} validates. */
  public static final class Builder {
    private final String action;
    private String id = "";
    private String severity = "";
    private String userId = "";
    private String requestId = "";
    private String resourceType = "";
    private String resourceId = "";
    private final Map<String, Object> detail = new LinkedHashMap<>();
    private String ipAddress = "";
    private String userAgent = "";
    private int statusCode;
    private Instant createdAt;

    private Builder(String action) {
      this.action = action;
    }

    public Builder id(String value) {
      id = value;
      return this;
    }

    public Builder severity(String value) {
      severity = value;
      return this;
    }

    public Builder user(String value) {
      userId = value;
      return this;
    }

    public Builder request(String value) {
      requestId = value;
      return this;
    }

    public Builder resource(String type, String resourceIdValue) {
      resourceType = type;
      resourceId = resourceIdValue;
      return this;
    }

    /** Adds all entries to the detail. */
    public Builder detail(Map<String, ?> values) {
      detail.putAll(values);
      return this;
    }

    /** Adds one entry to the detail. */
    public Builder detail(String key, Object value) {
      detail.put(key, value);
      return this;
    }

    public Builder client(String ip, String agent) {
      ipAddress = ip;
      userAgent = agent;
      return this;
    }

    public Builder status(int code) {
      statusCode = code;
      return this;
    }

    public Builder at(Instant time) {
      createdAt = time;
      return this;
    }

    public AuditEvent build() {
      return new AuditEvent(id, action, severity, userId, requestId, resourceType, resourceId, detail, ipAddress,
          userAgent, statusCode, createdAt);
    }
  }
}
