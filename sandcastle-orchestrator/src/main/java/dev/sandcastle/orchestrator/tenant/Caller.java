package dev.sandcastle.orchestrator.tenant;

/**
 * Who caused an action, for the audit log.
 *
 * @param userId the acting user ("" for the system or a bare admin key)
 * @param requestId the request's id ("" when not from a request)
 */
public record Caller(String userId, String requestId, String ipAddress, String userAgent) {
  public static final Caller SYSTEM = new Caller("", "", "", "sandcastle");

  public Caller {
    userId = userId == null ? "" : userId;
    requestId = requestId == null ? "" : requestId;
    ipAddress = ipAddress == null ? "" : ipAddress;
    userAgent = userAgent == null ? "" : userAgent;
  }
}
