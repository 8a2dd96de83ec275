package dev.sandcastle.orchestrator.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.Unauthorized;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.Optional;

/**
 * Recognises this server's own session tokens: HS256 JWTs whose signature verifies with the
 * session key. Such a token must also name {@value AuthSettings#SESSION_ISSUER} as its issuer and
 * carry {@code exp} (not past, {@code nbf} not in the future, with the configured skew), and must
 * not have been signed out ({@link Revocations}: its {@code jti} revoked, or its {@code iat} before
 * the account signed out everywhere). Any other token is not ours and left to the other verifiers.
 * Thread-safe.
 */
final class SessionVerifier {
  private final byte[] key;
  private final Duration skew;
  private final InstantSource clock;
  private final Revocations revocations;

  SessionVerifier(byte[] key, Duration skew, InstantSource clock, Revocations revocations) {
    this.key = key.clone();
    this.skew = skew;
    this.clock = clock;
    this.revocations = revocations;
  }

  /**
   * Whether this is one of our tokens and it has been signed out since (expiry aside): for
   * sockets that authenticated with it and are still open.
   */
  boolean signedOut(String token) {
    Optional<SignedJWT> jwt = ours(token);
    if (jwt.isEmpty()) {
      return false;
    }
    try {
      JWTClaimsSet claims = jwt.get().getJWTClaimsSet();
      return revoked(claims, JwtVerifier.user(claims));
    } catch (Unauthorized | java.text.ParseException e) {
      return false;
    }
  }

  /**
   * The user of one of our tokens; empty when the token is not one of ours (not a JWT, another
   * algorithm, or a signature made with another key).
   *
   * @throws Unauthorized when the token is ours but expired, not yet valid, from another issuer,
   *     naming no user, or signed out
   */
  Optional<Principal.User> verify(String token) {
    Optional<SignedJWT> jwt = ours(token);
    if (jwt.isEmpty()) {
      return Optional.empty();
    }
    JWTClaimsSet claims = JwtVerifier.claims(jwt.get(), clock.instant(), skew);
    if (!AuthSettings.SESSION_ISSUER.equals(claims.getIssuer())) {
      throw new Unauthorized("the token's issuer is not accepted");
    }
    Principal.User user = JwtVerifier.user(claims);
    if (revoked(claims, user)) {
      throw new Unauthorized("the session has been signed out: sign in again");
    }
    return Optional.of(user);
  }

  /** The token, when it is one of ours: a JWT, HS256 with no critical parameters, signed with our key. */
  private Optional<SignedJWT> ours(String token) {
    SignedJWT jwt;
    try {
      jwt = JwtVerifier.parse(token);
    } catch (Unauthorized e) {
      return Optional.empty();
    }
    JWSHeader header = jwt.getHeader();
    if (!JWSAlgorithm.HS256.equals(header.getAlgorithm())
        || (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty())
        || !JwtVerifier.verifyHmac(jwt, key)) {
      return Optional.empty();
    }
    return Optional.of(jwt);
  }

  /**
   * Whether the session of these (verified) claims of {@code user} was signed out: its jti
   * revoked, or issued before its account signed out everywhere.
   */
  private boolean revoked(JWTClaimsSet claims, Principal.User user) {
    Optional<String> tokenId = Optional.ofNullable(claims.getJWTID()).filter(id -> !id.isEmpty());
    Optional<Instant> issuedAt = Optional.ofNullable(claims.getIssueTime()).map(Date::toInstant);
    return revocations.revoked(user.user(), tokenId, issuedAt);
  }
}
