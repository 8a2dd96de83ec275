package dev.sandcastle.orchestrator.tenant;

import java.time.Instant;

/**
 * One row of the tenants table: a workspace, who owns it and where it runs.
 *
 * @param id a random UUID, stable for the tenant's life
 * @param number a unique positive number the database assigns; the local backend derives the
 *     workspace's Linux uid from it, so it must never be reused
 * @param backend the backend that provisioned it ({@code local}, {@code static}, ...)
 * @param instanceId the backend's id of the running instance ("" when none)
 * @param instanceName the backend's name of it ("" when none)
 * @param host where a remote instance listens ("" for in-process)
 * @param port its port (0 for in-process)
 * @param apiKeyCiphertext the instance's API key, encrypted by the key ring ("" when it has none)
 */
public record Tenant(
    String id, long number, TenantKey key, String backend, String instanceId, String instanceName, String host, int port,
    String apiKeyCiphertext, TenantStatus status, Instant createdAt, Instant updatedAt, Instant lastAccessedAt) {

  public Tenant {
    if (id == null || key == null || backend == null || status == null || createdAt == null || updatedAt == null
        || lastAccessedAt == null || instanceId == null || instanceName == null || host == null || apiKeyCiphertext == null) {
      throw new IllegalArgumentException("tenant fields must not be null (use \"\" for absent text)");
    }
  }

  public Tenant withStatus(TenantStatus newStatus, Instant now) {
    return new Tenant(id, number, key, backend, instanceId, instanceName, host, port, apiKeyCiphertext, newStatus, createdAt, now, lastAccessedAt);
  }

  public Tenant withInstance(String newInstanceId, String newInstanceName, String newHost, int newPort, String newKeyCiphertext, Instant now) {
    return new Tenant(id, number, key, backend, newInstanceId, newInstanceName, newHost, newPort, newKeyCiphertext, status, createdAt, now, lastAccessedAt);
  }
}
