package dev.sandcastle.orchestrator.tenant;

/** A tenant's workspace as the database records it (the spec's status values). */
public enum TenantStatus {
  PROVISIONING, RUNNING, STOPPED, ERROR;

  /** The spec's lower-case spelling, as stored and as the admin API shows it. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static TenantStatus fromWire(String value) {
    return valueOf(value.toUpperCase(java.util.Locale.ROOT));
  }
}
