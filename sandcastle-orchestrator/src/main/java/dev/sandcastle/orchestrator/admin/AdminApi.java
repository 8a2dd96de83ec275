package dev.sandcastle.orchestrator.admin;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.orchestrator.audit.AuditEvent;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.audit.AuditQuery;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Caller;
import dev.sandcastle.orchestrator.tenant.Tenant;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The admin API (the Terminals orchestrator's endpoints, plus reset and policy editing) and the
 * Prometheus metrics. Authentication happens before these handlers run (the admin key or an
 * admin token; see {@code TenantAccess}); every change is audited as {@code admin_action}.
 */
public final class AdminApi {
  private final TenantService tenants;
  private final Policies policies;
  private final AuditLog audit;
  private final PrometheusMeterRegistry metrics;
  private final Function<Context, Caller> callers;
  private final java.util.function.Predicate<Context> isAdmin;

  /**
   * @param isAdmin whether the request's authenticated caller is an admin; checked again here, so
   *     a mistake in the path rules of the authentication cannot expose these routes
   */
  public AdminApi(TenantService tenants, Policies policies, AuditLog audit, PrometheusMeterRegistry metrics,
      Function<Context, Caller> callers, java.util.function.Predicate<Context> isAdmin) {
    this.isAdmin = isAdmin;
    this.tenants = tenants;
    this.policies = policies;
    this.audit = audit;
    this.metrics = metrics;
    this.callers = callers;
  }

  /** The OpenAPI paths of these routes (tag {@code admin}, never tools), for the full document. */
  public static String openApi() {
    try (var in = AdminApi.class.getResourceAsStream("admin-openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("resource missing: admin-openapi.json");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public void register(RoutesConfig r) {
    io.javalin.http.Handler guard = ctx -> {
      if (!isAdmin.test(ctx)) {
        throw new dev.sandcastle.core.errors.Forbidden("the admin API needs the admin key or an admin's token");
      }
    };
    r.before("/api/v1/<path>", guard);
    r.before("/metrics", guard);
    r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    r.get("/api/v1/status", ctx -> ctx.json(status()));

    // Instances, as upstream's Terminals lists them
    r.get("/api/v1/terminals", ctx -> ctx.json(tenants.list().stream().map(AdminApi::terminal).toList()));
    r.post("/api/v1/terminals/stop", this::stopTerminals);
    r.post("/api/v1/terminals/refresh", ctx -> ctx.json(tenants.list().stream().map(AdminApi::terminal).toList()));

    // Tenants
    r.get("/api/v1/tenants", ctx -> ctx.json(tenants.list().stream().map(AdminApi::terminal).toList()));
    r.post("/api/v1/tenants", ctx -> {
      Bodies.TenantRef body = ctx.bodyAsClass(Bodies.TenantRef.class);
      TenantKey key = new TenantKey(body.userId(), body.policyId(), body.contextId());
      Tenant tenant = tenants.provision(key, callers.apply(ctx));
      admin(ctx, "create_tenant", tenant.id());
      ctx.status(201).json(view(tenant.id()));
    });
    r.get("/api/v1/tenants/{id}", ctx -> ctx.json(view(ctx.pathParam("id"))));
    r.delete("/api/v1/tenants/{id}", ctx -> {
      tenants.delete(ctx.pathParam("id"), callers.apply(ctx));
      admin(ctx, "delete_tenant", ctx.pathParam("id"));
      ctx.status(204);
    });
    r.post("/api/v1/tenants/{id}/start", ctx -> {
      tenants.start(ctx.pathParam("id"), callers.apply(ctx));
      admin(ctx, "start_tenant", ctx.pathParam("id"));
      ctx.json(view(ctx.pathParam("id")));
    });
    r.post("/api/v1/tenants/{id}/stop", ctx -> {
      tenants.stop(ctx.pathParam("id"), callers.apply(ctx));
      admin(ctx, "stop_tenant", ctx.pathParam("id"));
      ctx.json(view(ctx.pathParam("id")));
    });
    r.post("/api/v1/tenants/{id}/reset", ctx -> {
      tenants.reset(ctx.pathParam("id"), callers.apply(ctx));
      admin(ctx, "reset_tenant", ctx.pathParam("id"));
      ctx.json(view(ctx.pathParam("id")));
    });

    // Policies
    r.get("/api/v1/policies", ctx -> ctx.json(policies.list().stream().map(AdminApi::policy).toList()));
    r.get("/api/v1/policies/{id}", ctx -> ctx.json(policy(policies.get(ctx.pathParam("id")))));
    r.post("/api/v1/policies", ctx -> {
      Bodies.PolicyBody body = ctx.bodyAsClass(Bodies.PolicyBody.class);
      Policy saved = policies.save(fitting(body.toPolicy(Optional.ofNullable(body.id()).orElseThrow(() -> new BadRequest("id is required")),
          policies.maxima())));
      admin(ctx, "save_policy", saved.id());
      ctx.status(201).json(policy(saved));
    });
    r.put("/api/v1/policies/{id}", ctx -> {
      Bodies.PolicyBody body = ctx.bodyAsClass(Bodies.PolicyBody.class);
      Policy saved = policies.save(fitting(body.toPolicy(ctx.pathParam("id"), policies.maxima())));
      admin(ctx, "save_policy", saved.id());
      ctx.json(policy(saved));
    });
    r.delete("/api/v1/policies/{id}", ctx -> {
      policies.delete(ctx.pathParam("id"));
      admin(ctx, "delete_policy", ctx.pathParam("id"));
      ctx.status(204);
    });

    // Audit log
    r.get("/api/v1/audit-logs", ctx -> {
      AuditQuery query = AuditQuery.all()
          .action(Optional.ofNullable(ctx.queryParam("action")).orElse(""))
          .user(Optional.ofNullable(ctx.queryParam("user_id")).orElse(""))
          .page(intParam(ctx, "limit", AuditQuery.DEFAULT_LIMIT, 1, AuditQuery.MAX_LIMIT), intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE));
      List<Map<String, Object>> items = new ArrayList<>();
      for (AuditEvent event : audit.query(query)) {
        items.add(auditJson(event));
      }
      ctx.json(Map.of("items", items, "total", audit.count(query), "limit", query.limit(), "offset", query.offset()));
    });
  }

  private Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("status", "ok");
    status.put("backend", tenants.backendName());
    status.put("storage_limits", tenants.storageLimits().wire());
    Map<String, Long> counts = new LinkedHashMap<>();
    for (var state : dev.sandcastle.orchestrator.tenant.TenantStatus.values()) {
      counts.put(state.wire(), tenants.count(state));
    }
    status.put("tenants", counts);
    status.put("active_websockets", tenants.activeSockets());
    return status;
  }

  private void stopTerminals(Context ctx) {
    Bodies.TenantRef body = ctx.bodyAsClass(Bodies.TenantRef.class);
    List<String> stopped = new ArrayList<>();
    for (TenantService.TenantView view : tenants.list()) {
      TenantKey key = view.tenant().key();
      boolean matches = body.id() != null ? view.tenant().id().equals(body.id())
          : body.userId() != null && key.userId().equals(body.userId())
              && (body.policyId() == null || key.policyId().equals(body.policyId()))
              && (body.contextId() == null || key.contextId().equals(body.contextId()));
      if (matches) {
        tenants.stop(view.tenant().id(), callers.apply(ctx));
        stopped.add(view.tenant().id());
      }
    }
    if (body.id() == null && body.userId() == null) {
      throw new BadRequest("name the tenant to stop: id, or user_id (with optional policy_id and context_id)");
    }
    admin(ctx, "stop_terminals", String.join(",", stopped));
    ctx.json(Map.of("stopped", stopped));
  }

  /** The policy, unless its storage is less than one of its tenants' homes already holds (409). */
  private Policy fitting(Policy policy) {
    tenants.checkStorageFits(policy.id(), policy.clampTo(policies.maxima()).storageBytes());
    return policy;
  }

  private Map<String, Object> view(String id) {
    return tenants.list().stream().filter(v -> v.tenant().id().equals(id)).findFirst().map(AdminApi::terminal)
        .orElseThrow(() -> new NotFound("no tenant with id " + id));
  }

  private void admin(Context ctx, String what, String resource) {
    Caller caller = callers.apply(ctx);
    audit.record(AuditEvent.builder("admin_action").user(caller.userId()).request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent()).resource("tenant", resource)
        .detail(Map.of("operation", what, "method", ctx.method().name(), "path", ctx.path())).status(200).build());
  }

  static Map<String, Object> terminal(TenantService.TenantView view) {
    Tenant t = view.tenant();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", t.id());
    json.put("user_id", t.key().userId());
    json.put("policy_id", t.key().policyId());
    json.put("context_id", t.key().contextId());
    json.put("backend", t.backend());
    json.put("instance_id", t.instanceId());
    json.put("instance_name", t.instanceName());
    json.put("status", t.status().wire());
    json.put("host", t.host());
    json.put("port", t.port());
    json.put("created_at", t.createdAt().toString());
    json.put("last_active", view.lastActive().toString());
    json.put("idle_seconds", view.idle().toSeconds());
    json.put("websockets", view.sockets());
    Map<String, Object> usage = new LinkedHashMap<>();
    view.disk().ifPresent(disk -> {
      usage.put("disk_bytes", disk.usedBytes());
      usage.put("disk_limit_bytes", disk.limitBytes());
    });
    json.put("usage", usage);
    return json;
  }

  static Map<String, Object> auditJson(AuditEvent e) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", e.id());
    json.put("action", e.action());
    json.put("severity", e.severity());
    json.put("user_id", e.userId());
    json.put("request_id", e.requestId());
    json.put("resource_type", e.resourceType());
    json.put("resource_id", e.resourceId());
    json.put("detail", e.detail());
    json.put("ip_address", e.ipAddress());
    json.put("user_agent", e.userAgent());
    json.put("status_code", e.statusCode());
    json.put("created_at", e.createdAt().toString());
    return json;
  }

  static Map<String, Object> policy(Policy p) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", p.id());
    json.put("image", p.image());
    json.put("runtime", p.runtime());
    json.put("env", p.env());
    json.put("cpus", p.cpus());
    json.put("memory_bytes", p.memoryBytes());
    json.put("storage_bytes", p.storageBytes());
    json.put("pids", p.pids());
    json.put("idle_timeout_seconds", p.idleTimeout().toSeconds());
    json.put("network", p.network());
    json.put("reset_cron", p.resetCron());
    json.put("reset_zone", p.resetZone());
    json.put("read_only_paths", p.readOnlyPaths());
    return json;
  }

  private static int intParam(Context ctx, String name, int fallback, int min, int max) {
    String value = ctx.queryParam(name);
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < min || parsed > max) {
        throw new BadRequest(name + " must be between " + min + " and " + max);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be an integer");
    }
  }

  /** Request bodies of the admin API (snake_case, as upstream). */
  static final class Bodies {
    private Bodies() {}

    record TenantRef(
        String id,
        @com.fasterxml.jackson.annotation.JsonProperty("user_id") String userId,
        @com.fasterxml.jackson.annotation.JsonProperty("policy_id") String policyId,
        @com.fasterxml.jackson.annotation.JsonProperty("context_id") String contextId) {}

    record PolicyBody(
        String id, String image, String runtime, Map<String, String> env, Double cpus,
        @com.fasterxml.jackson.annotation.JsonProperty("memory_bytes") Long memoryBytes,
        @com.fasterxml.jackson.annotation.JsonProperty("storage_bytes") Long storageBytes,
        Integer pids,
        @com.fasterxml.jackson.annotation.JsonProperty("idle_timeout_seconds") Long idleTimeoutSeconds,
        String network,
        @com.fasterxml.jackson.annotation.JsonProperty("reset_cron") String resetCron,
        @com.fasterxml.jackson.annotation.JsonProperty("reset_zone") String resetZone,
        @com.fasterxml.jackson.annotation.JsonProperty("read_only_paths") java.util.List<String> readOnlyPaths) {

      /** Missing limits take the server's maxima; missing read-only paths are none. */
      Policy toPolicy(String policyId, Policy max) {
        return new Policy(policyId, image, runtime, env, cpus == null ? max.cpus() : cpus, memoryBytes == null ? max.memoryBytes() : memoryBytes,
            storageBytes == null ? max.storageBytes() : storageBytes, pids == null ? max.pids() : pids,
            idleTimeoutSeconds == null ? max.idleTimeout() : Duration.ofSeconds(idleTimeoutSeconds), network, resetCron, resetZone,
            readOnlyPaths);
      }
    }
  }
}
