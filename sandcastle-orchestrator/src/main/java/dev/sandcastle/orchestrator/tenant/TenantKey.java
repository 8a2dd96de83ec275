package dev.sandcastle.orchestrator.tenant;

import dev.sandcastle.core.errors.BadRequest;

/**
 * Who a workspace belongs to: a user, the policy it runs under and a context (one user may keep
 * several workspaces apart, e.g. one per project). Validated here, so every layer below can trust it.
 *
 * @param userId the user's id as Open WebUI sends it in {@code X-User-Id}: 1-256 characters, no control characters
 * @param policyId a policy id: 1-64 of {@code [A-Za-z0-9_.-]}
 * @param contextId {@code X-Terminal-Context-Id}, {@value #DEFAULT_CONTEXT} when absent: 1-256 characters, no control characters
 */
public record TenantKey(String userId, String policyId, String contextId) {
  public static final String DEFAULT_POLICY = "default";
  public static final String DEFAULT_CONTEXT = "default";

  public TenantKey {
    userId = checkText(userId, "user id (X-User-Id)");
    contextId = checkText(contextId == null || contextId.isEmpty() ? DEFAULT_CONTEXT : contextId, "context id (X-Terminal-Context-Id)");
    if (policyId == null || policyId.isEmpty()) {
      policyId = DEFAULT_POLICY;
    }
    if (!policyId.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new BadRequest("a policy id is 1-64 of letters, digits, '_', '.' and '-'");
    }
  }

  private static String checkText(String value, String what) {
    if (value == null || value.isEmpty()) {
      throw new BadRequest("the " + what + " is missing");
    }
    if (value.length() > 256) {
      throw new BadRequest("the " + what + " is longer than 256 characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        throw new BadRequest("the " + what + " contains a control character");
      }
    }
    return value;
  }
}
