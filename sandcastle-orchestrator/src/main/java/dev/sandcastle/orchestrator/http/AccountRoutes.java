package dev.sandcastle.orchestrator.http;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.account.Account;
import dev.sandcastle.orchestrator.account.AccountService;
import dev.sandcastle.orchestrator.account.Session;
import dev.sandcastle.orchestrator.auth.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sign-in API of local accounts:
 *
 * <ul>
 *   <li>{@code POST /api/auth/signup} {@code {email, name, password}}: 201 with
 *       {@code {token, expires_at, account: {id, email, name, role}}}; no credentials needed;
 *   <li>{@code POST /api/auth/signin} {@code {email, password}}: 200, the same shape; no
 *       credentials needed; a failure is audited and throttled like every failed authentication;
 *   <li>{@code GET /api/auth/me} with a token: the caller's account (404 when the caller has none,
 *       e.g. an Open WebUI user);
 *   <li>{@code POST /api/auth/signout} with a session token: 204, that token is refused from now
 *       on; with {@code ?everywhere=true} every session of the account issued until now is
 *       (400 for a token that is not one of our session tokens);
 *   <li>admin: {@code GET /api/v1/accounts?limit&offset}, and {@code POST /api/v1/accounts/{id}/signout}
 *       (204) signs that account out everywhere.
 * </ul>
 *
 * <p>Register these before any catch-all route (the proxy's), and let {@link #isCredentialFree}
 * requests through {@link TenantAccess}. Handlers run on the request's virtual thread; failures are
 * the {@link AccountService}'s exceptions, mapped to HTTP by the API's one error mapping.
 */
public final class AccountRoutes {
  static final String SIGN_UP = "/api/auth/signup";
  static final String SIGN_IN = "/api/auth/signin";
  static final String ME = "/api/auth/me";
  static final String SIGN_OUT = "/api/auth/signout";

  private final AccountService accounts;
  private final TenantAccess access;

  public AccountRoutes(AccountService accounts, TenantAccess access) {
    this.accounts = accounts;
    this.access = access;
  }

  /** Whether a request is a sign-up or sign-in, which need no credentials (they are how one gets them). */
  public static boolean isCredentialFree(String method, String path) {
    return "POST".equals(method) && (path.equals(SIGN_UP) || path.equals(SIGN_IN));
  }

  public void register(RoutesConfig r) {
    r.post(SIGN_UP, ctx -> {
      SignUp body = ctx.bodyAsClass(SignUp.class);
      Account account = accounts.signUp(body.email(), body.name(), body.password());
      ctx.status(201).json(view(accounts.issue(account)));
    });
    r.post(SIGN_IN, ctx -> {
      SignIn body = ctx.bodyAsClass(SignIn.class);
      Account account = access.attempt(ctx, () -> accounts.signIn(body.email(), body.password()));
      ctx.json(view(accounts.issue(account)));
    });
    r.get(ME, ctx -> ctx.json(account(me(ctx))));
    r.post(SIGN_OUT, ctx -> {
      boolean everywhere = switch (java.util.Optional.ofNullable(ctx.queryParam("everywhere")).orElse("false")) {
        case "true" -> true;
        case "false" -> false;
        default -> throw new BadRequest("everywhere must be true or false");
      };
      String token = TenantAccess.token(ctx).orElseThrow(() -> new Unauthorized("sign in first: send a session token as a Bearer token"));
      if (everywhere) {
        accounts.signOutEverywhere(token, TenantAccess.caller(ctx));
      } else {
        accounts.signOut(token, TenantAccess.caller(ctx));
      }
      ctx.status(204);
    });
    // Admin only: /api/v1/ paths need the admin key or an admin's token (TenantAccess, AdminApi's guard).
    r.get("/api/v1/accounts", ctx -> {
      int limit = Integer.parseInt(java.util.Optional.ofNullable(ctx.queryParam("limit")).filter(v -> v.matches("\\d{1,4}")).orElse("100"));
      int offset = Integer.parseInt(java.util.Optional.ofNullable(ctx.queryParam("offset")).filter(v -> v.matches("\\d{1,9}")).orElse("0"));
      ctx.json(Map.of("items", accounts.list(limit, offset).stream().map(AccountRoutes::account).toList(), "total", accounts.count()));
    });
    r.post("/api/v1/accounts/{id}/signout", ctx -> {
      accounts.revokeSessions(ctx.pathParam("id"), TenantAccess.caller(ctx));
      ctx.status(204);
    });
  }

  private Account me(Context ctx) {
    String user = TenantAccess.principal(ctx).flatMap(Principal::userId)
        .orElseThrow(() -> new Unauthorized("sign in first: send a session token as a Bearer token"));
    return accounts.find(user).orElseThrow(() -> new NotFound("there is no local account for this user"));
  }

  private static Map<String, Object> view(Session session) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("token", session.token());
    out.put("expires_at", session.expiresAt().toString());
    out.put("account", account(session.account()));
    return out;
  }

  private static Map<String, Object> account(Account account) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", account.id());
    out.put("email", account.email());
    out.put("name", account.name());
    out.put("role", account.role().wire());
    return out;
  }

  record SignUp(String email, String name, String password) {
    @Override
    public String toString() {
      return "SignUp[email=" + email + ", password=***]";
    }
  }

  record SignIn(String email, String password) {
    @Override
    public String toString() {
      return "SignIn[email=" + email + ", password=***]";
    }
  }
}
