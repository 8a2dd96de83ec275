package dev.sandcastle.orchestrator.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unauthorized;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies a JWT here, without asking anyone: the algorithm must be allowed and fit the key
 * (HMAC only with Open WebUI's secret, RSA and EC only with keys from the JWKS), the signature
 * must verify, {@code exp} must be present and not past, {@code nbf} not in the future (both with
 * the configured skew), and when accepted issuers or audiences are configured, {@code iss} must be
 * one of the issuers (exactly) and {@code aud} (a string or an array) must contain one of the
 * audiences. Thread-safe.
 */
final class JwtVerifier {
  private final AuthSettings settings;
  private final Optional<byte[]> secret;
  private final Optional<JwksKeys> jwks;
  private final InstantSource clock;

  JwtVerifier(AuthSettings settings, HttpClient http, InstantSource clock) {
    this.settings = settings;
    this.secret = settings.webuiSecret().map(s -> s.getBytes(StandardCharsets.UTF_8));
    this.jwks = settings.jwksUrl().map(url -> new JwksKeys(http, url, clock));
    this.clock = clock;
  }

  /**
   * The user a valid token names.
   *
   * @throws Unauthorized when the token does not verify, with a message that never repeats it
   * @throws dev.sandcastle.core.errors.Unavailable when the key set cannot be fetched
   */
  Principal.User verify(String token) {
    SignedJWT jwt = parse(token);
    JWSHeader header = jwt.getHeader();
    JWSAlgorithm algorithm = header.getAlgorithm();
    if (!settings.algorithms().contains(algorithm.getName())) {
      throw new Unauthorized("the token's signing algorithm is not accepted");
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      throw new Unauthorized("the token has critical header parameters that are not supported");
    }
    boolean verified;
    if (JWSAlgorithm.Family.HMAC_SHA.contains(algorithm)) {
      verified = verifyHmac(jwt, secret.orElseThrow(() -> new Unauthorized("the token's signing algorithm is not accepted")));
    } else {
      JwksKeys keys = jwks.orElseThrow(() -> new Unauthorized("the token's signing algorithm is not accepted"));
      List<JWK> candidates = keys.candidates(algorithm, Optional.ofNullable(header.getKeyID()));
      if (candidates.isEmpty()) {
        throw new Unauthorized("the token's signing key is not known");
      }
      verified = candidates.stream().anyMatch(key -> verifyWith(jwt, key));
    }
    if (!verified) {
      throw new Unauthorized("the token's signature does not verify");
    }
    JWTClaimsSet claims = claims(jwt, clock.instant(), settings.clockSkew());
    checkIssuerAndAudience(claims);
    return user(claims);
  }

  private void checkIssuerAndAudience(JWTClaimsSet claims) {
    if (!settings.issuers().isEmpty()) {
      String issuer = claims.getIssuer();
      if (issuer == null) {
        throw new Unauthorized("the token names no issuer (iss); this server accepts tokens of configured issuers only");
      }
      if (!settings.issuers().contains(issuer)) {
        throw new Unauthorized("the token's issuer (iss) is not accepted");
      }
    }
    if (!settings.audiences().isEmpty()) {
      List<String> audience = claims.getAudience(); // "aud" as a string or an array; empty when absent
      if (audience.isEmpty()) {
        throw new Unauthorized("the token names no audience (aud); this server accepts tokens meant for it only");
      }
      if (audience.stream().noneMatch(settings.audiences()::contains)) {
        throw new Unauthorized("the token's audience (aud) is not accepted");
      }
    }
  }

  static SignedJWT parse(String token) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw new Unauthorized("the token is not a valid JWT");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw new Unauthorized("the token is not signed");
    }
    return signed;
  }

  static boolean verifyHmac(SignedJWT jwt, byte[] secret) {
    String javaName = switch (jwt.getHeader().getAlgorithm().getName()) {
      case "HS256" -> "HmacSHA256";
      case "HS384" -> "HmacSHA384";
      case "HS512" -> "HmacSHA512";
      default -> throw new Unauthorized("the token's signing algorithm is not accepted");
    };
    try {
      // Our own HMAC rather than nimbus' MACVerifier: Open WebUI's secrets are often shorter than
      // the 256 bits nimbus insists on, and we must accept what Open WebUI signs with.
      Mac mac = Mac.getInstance(javaName);
      mac.init(new SecretKeySpec(secret, javaName));
      byte[] expected = mac.doFinal(jwt.getSigningInput());
      return MessageDigest.isEqual(expected, jwt.getSignature().decode());
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC is not available in this JVM", e);
    }
  }

  private static boolean verifyWith(SignedJWT jwt, JWK key) {
    try {
      JWSVerifier verifier = switch (key) {
        case RSAKey rsa -> new RSASSAVerifier(rsa);
        case ECKey ec -> new ECDSAVerifier(ec);
        default -> throw new JOSEException("unsupported key type");
      };
      return jwt.verify(verifier);
    } catch (JOSEException e) {
      return false;
    }
  }

  /** The token's claims, checked: {@code exp} present and not past, {@code nbf} not in the future (with {@code skew}). */
  static JWTClaimsSet claims(SignedJWT jwt, Instant now, java.time.Duration skew) {
    JWTClaimsSet claims;
    Date expiry;
    Date notBefore;
    try {
      claims = jwt.getJWTClaimsSet();
      expiry = claims.getExpirationTime();
      notBefore = claims.getNotBeforeTime();
    } catch (ParseException e) {
      throw new Unauthorized("the token's claims are malformed");
    }
    if (expiry == null) {
      throw new Unauthorized("the token has no expiry time (exp)");
    }
    if (now.isAfter(expiry.toInstant().plus(skew))) {
      throw new Unauthorized("the token has expired");
    }
    if (notBefore != null && now.plus(skew).isBefore(notBefore.toInstant())) {
      throw new Unauthorized("the token is not valid yet");
    }
    return claims;
  }

  static Principal.User user(JWTClaimsSet claims) {
    // Open WebUI puts the user id in "id"; other issuers use "sub".
    String user = claims.getClaim("id") instanceof String id && !id.isEmpty() ? id : claims.getSubject();
    if (user == null || user.isEmpty()) {
      throw new Unauthorized("the token names no user (id or sub)");
    }
    boolean admin = "admin".equals(claims.getClaim("role"));
    try {
      return new Principal.User(user, admin);
    } catch (BadRequest e) {
      throw new Unauthorized("the token's user id is not valid");
    }
  }
}
