package dev.sandcastle.orchestrator.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Tokens for tests: HMAC ones built by hand (as Open WebUI's PyJWT does), RSA and EC ones with nimbus. */
final class Tokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Tokens() {}

  static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** An HS256 token with this payload, signed with the UTF-8 bytes of {@code secret}. */
  static String hs256(String secret, String payload) {
    return hmac("HS256", secret.getBytes(StandardCharsets.UTF_8), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload);
  }

  /** A token with this header and payload, its signature the HMAC of them with {@code key}. */
  static String hmac(String algorithm, byte[] key, String header, String payload) {
    String javaName = "Hmac" + algorithm.replace("HS", "SHA");
    String input = b64(header) + "." + b64(payload);
    try {
      Mac mac = Mac.getInstance(javaName);
      mac.init(new SecretKeySpec(key, javaName));
      return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token signed with a JWK (RSA or EC) under {@code keyId} (none when null). */
  static String signed(JWK key, JWSAlgorithm algorithm, String keyId, Map<String, Object> claims) {
    JWTClaimsSet.Builder set = new JWTClaimsSet.Builder();
    claims.forEach(set::claim);
    JWSHeader header = new JWSHeader.Builder(algorithm).keyID(keyId).build();
    try {
      if (key instanceof RSAKey rsa && rsa.size() < 2048) {
        // nimbus will not sign with a weak key; we need one to show that it is refused.
        String input = header.toBase64URL() + "." + Base64URL.encode(set.build().toString());
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(rsa.toPrivateKey());
        signature.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(signature.sign());
      }
      SignedJWT jwt = new SignedJWT(header, set.build());
      jwt.sign(switch (key) {
        case RSAKey rsa -> new RSASSASigner(rsa);
        case ECKey ec -> new ECDSASigner(ec);
        default -> throw new IllegalArgumentException("no signer for " + key.getKeyType());
      });
      return jwt.serialize();
    } catch (JOSEException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
