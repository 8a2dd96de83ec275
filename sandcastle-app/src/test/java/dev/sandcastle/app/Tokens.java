package dev.sandcastle.app;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/** User tokens shaped like Open WebUI's: HS256, the user id in "id", an expiry. */
final class Tokens {
  private Tokens() {}

  static String openWebUi(String secret, String userId, Instant expires) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
          new JWTClaimsSet.Builder().claim("id", userId).expirationTime(Date.from(expires)).build());
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The classic: a token that says it needs no signature. */
  static String unsigned(String userId) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String body = b64.encodeToString(("{\"id\":\"" + userId + "\",\"exp\":" + (Instant.now().getEpochSecond() + 3600) + "}")
        .getBytes(StandardCharsets.UTF_8));
    return header + "." + body + ".";
  }
}
