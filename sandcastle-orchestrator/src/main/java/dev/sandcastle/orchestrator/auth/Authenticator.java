package dev.sandcastle.orchestrator.auth;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import java.net.http.HttpClient;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.Optional;

/**
 * Decides who a request comes from, following the orchestrator's rules:
 *
 * <ul>
 *   <li>no credentials: {@link Unauthorized};
 *   <li>the admin key (compared in constant time): {@link Principal.Service} for the user in
 *       {@code X-User-Id} when it is sent, else {@link Principal.Admin};
 *   <li>a token of this server's own sessions (HS256, signed with {@link AuthSettings#sessionKey()},
 *       issuer {@value AuthSettings#SESSION_ISSUER}, {@code exp} required, not signed out according
 *       to the {@link Revocations}; user from {@code id}, else {@code sub}; admin when {@code role}
 *       is {@code admin}): {@link Principal.User}, whatever the JWT algorithms setting says (it is
 *       about other issuers' tokens);
 *   <li>anything else is a user token: verified here when {@link AuthSettings#webuiSecret()} or
 *       {@link AuthSettings#jwksUrl()} is set (allowed algorithm fitting the key, valid signature,
 *       {@code exp} required, {@code nbf} respected, {@code iss} and {@code aud} among
 *       {@link AuthSettings#issuers()} and {@link AuthSettings#audiences()} when those are set; user
 *       from {@code id}, else {@code sub}; admin when {@code role} is {@code admin}), otherwise
 *       by asking Open WebUI when {@link AuthSettings#webuiUrl()} is set, otherwise refused. The result is a
 *       {@link Principal.User}; when {@code X-User-Id} is sent it must name the same user
 *       ({@link Forbidden} otherwise).
 * </ul>
 *
 * <p>Thread-safe. Calls may block on the key set or Open WebUI (at most a few seconds each), so run
 * them on virtual threads. Every failure is a {@link Unauthorized}, {@link Forbidden},
 * {@link dev.sandcastle.core.errors.BadRequest} (malformed {@code X-User-Id}) or
 * {@link dev.sandcastle.core.errors.Unavailable} (key set or Open WebUI unreachable) whose message
 * is safe to show and never repeats the credential. The {@link HttpClient} stays the caller's to
 * close; give it a connect timeout.
 */
public final class Authenticator {
  /** Longer credentials are refused before any parsing. */
  static final int MAX_TOKEN_LENGTH = 8192;

  private final byte[] adminKeyDigest;
  private final Optional<JwtVerifier> local;
  private final Optional<OpenWebuiClient> callback;
  private final Optional<SessionVerifier> sessions;

  /** Without revocations: every session token that verifies is accepted until it expires. */
  public Authenticator(AuthSettings settings, HttpClient http) {
    this(settings, http, Revocations.NONE);
  }

  /**
   * @param revocations which of this server's session tokens have been signed out (asked about
   *     every session token that verifies)
   */
  public Authenticator(AuthSettings settings, HttpClient http, Revocations revocations) {
    this(settings, http, InstantSource.system(), revocations);
  }

  Authenticator(AuthSettings settings, HttpClient http, InstantSource clock) {
    this(settings, http, clock, Revocations.NONE);
  }

  Authenticator(AuthSettings settings, HttpClient http, InstantSource clock, Revocations revocations) {
    this.adminKeyDigest = Digest.sha256(settings.adminKey());
    this.local = settings.verifiesLocally() ? Optional.of(new JwtVerifier(settings, http, clock)) : Optional.empty();
    this.callback = settings.verifiesLocally() ? Optional.empty()
        : settings.webuiUrl().map(url -> new OpenWebuiClient(http, url, settings.callbackTtl(), OpenWebuiClient.MAX_ENTRIES, clock));
    this.sessions = settings.sessionKey().map(key -> new SessionVerifier(key, settings.clockSkew(), clock, revocations));
  }

  /**
   * Who sent a request with this bearer token (the API key or a user JWT) and {@code X-User-Id} header.
   *
   * @throws Unauthorized when the token is missing or does not verify
   * @throws Forbidden when a user token is sent with another user's {@code X-User-Id}
   */
  /** Whether the token is one of this server's session tokens and has been signed out since it was accepted. */
  public boolean signedOut(String token) {
    return sessions.map(own -> own.signedOut(token)).orElse(false);
  }

  public Principal authenticate(Optional<String> bearerToken, Optional<String> xUserId) {
    String token = bearerToken.filter(t -> !t.isBlank())
        .orElseThrow(() -> new Unauthorized("credentials are missing: send the API key or a user token as a Bearer token"));
    if (isAdminKey(token)) {
      return xUserId.<Principal>map(Principal.Service::new).orElseGet(Principal.Admin::new);
    }
    if (token.length() > MAX_TOKEN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new Unauthorized("the API key or token is malformed");
    }
    Principal.User user = sessions.flatMap(own -> own.verify(token))
        .or(() -> local.map(verifier -> verifier.verify(token)))
        .or(() -> callback.map(client -> client.verify(token)))
        .orElseThrow(() -> new Unauthorized("the API key is not valid"));
    if (xUserId.isPresent() && !xUserId.get().equals(user.user())) {
      throw new Forbidden("the token belongs to another user");
    }
    return user;
  }

  /**
   * Like {@link #authenticate}, for the admin endpoints: the principal must be the admin key
   * (with or without {@code X-User-Id}) or a user whose token carries the {@code admin} role.
   *
   * @throws Forbidden when the caller is a user without the admin role
   */
  public Principal authenticateAdmin(Optional<String> bearerToken, Optional<String> xUserId) {
    Principal principal = authenticate(bearerToken, xUserId);
    if (!principal.isAdmin()) {
      throw new Forbidden("this needs the admin key or an administrator's token");
    }
    return principal;
  }

  /** Whether {@code token} is the admin key; compares SHA-256 digests in constant time. */
  public boolean isAdminKey(String token) {
    return MessageDigest.isEqual(adminKeyDigest, Digest.sha256(token));
  }
}
