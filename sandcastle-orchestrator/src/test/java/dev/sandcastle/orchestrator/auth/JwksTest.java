package dev.sandcastle.orchestrator.auth;

import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.ADMIN_KEY;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.NOW;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.in;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.core.errors.Unavailable;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RS256 and ES256 tokens checked against a JSON Web Key Set served over HTTP. */
class JwksTest {
  static RSAKey rsa;
  static RSAKey otherRsa;
  static ECKey ec;
  static ECKey rotated;

  private final MutableClock clock = new MutableClock(NOW);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile List<JWK> published = List.of(rsa, ec);
  private final FakeServer jwks;

  JwksTest() throws Exception {
    jwks = new FakeServer(exchange -> new FakeServer.Reply(200, keySet()));
  }

  /** The published keys as a key set: public parts only, except for symmetric keys (which a careless issuer might publish). */
  private String keySet() {
    return new JWKSet(published.stream().map(k -> k instanceof OctetSequenceKey ? k : k.toPublicJWK()).toList()).toString(false);
  }

  @BeforeAll
  static void keys() throws JOSEException {
    rsa = new RSAKeyGenerator(2048).keyID("r1").generate();
    otherRsa = new RSAKeyGenerator(2048).keyID("r1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
    rotated = new ECKeyGenerator(Curve.P_256).keyID("e2").generate();
  }

  @AfterEach
  void close() {
    jwks.close();
    http.close();
  }

  private Authenticator authenticator(Optional<String> secret) {
    return new Authenticator(new AuthSettings(ADMIN_KEY, secret, Optional.of(jwks.uri("/jwks.json")),
        AuthSettings.DEFAULT_ALGORITHMS, AuthSettings.DEFAULT_CLOCK_SKEW, Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL), http, clock);
  }

  private static Map<String, Object> claims(String user) {
    return Map.of("id", user, "exp", in(3600));
  }

  @Test
  void rs256AndEs256TokensVerifyAgainstTheKeySet() {
    Authenticator auth = authenticator(Optional.empty());

    assertThat(auth.authenticate(Optional.of(Tokens.signed(rsa, JWSAlgorithm.RS256, "r1", claims("u1"))), Optional.of("u1")))
        .isEqualTo(new Principal.User("u1", false));
    assertThat(auth.authenticate(Optional.of(Tokens.signed(ec, JWSAlgorithm.ES256, "e1", Map.of("sub", "u2", "exp", in(60)))), Optional.empty()))
        .isEqualTo(new Principal.User("u2", false));
    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.signed(ec, JWSAlgorithm.ES256, "e1", claims("u2"))), Optional.of("u1")))
        .isInstanceOf(Forbidden.class);
    assertThat(jwks.hits()).as("the key set is fetched once and cached").isEqualTo(1);
  }

  @Test
  void aTokenWithoutKeyIdIsCheckedAgainstTheKeysOfItsType() {
    Authenticator auth = authenticator(Optional.empty());

    assertThat(auth.authenticate(Optional.of(Tokens.signed(rsa, JWSAlgorithm.RS256, null, claims("u1"))), Optional.empty()))
        .isEqualTo(new Principal.User("u1", false));
  }

  @Test
  void aTokenSignedByAnotherKeyUnderAKnownKeyIdIsRefused() {
    Authenticator auth = authenticator(Optional.empty());

    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.signed(otherRsa, JWSAlgorithm.RS256, "r1", claims("u1"))), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signature does not verify");
  }

  @Test
  void anAlgorithmThatDoesNotFitTheKeyIsRefused() {
    Authenticator auth = authenticator(Optional.empty());
    // An ES256 token naming the RSA key: no RSA key may verify an EC signature.
    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.signed(ec, JWSAlgorithm.ES256, "r1", claims("u1"))), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing key is not known");
  }

  @Test
  void hs256SignedWithTheRsaPublicKeyIsRefused() throws JOSEException {
    byte[] der = rsa.toRSAPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    String payload = "{\"id\":\"u1\",\"exp\":" + in(3600) + "}";
    String header = "{\"alg\":\"HS256\",\"kid\":\"r1\"}";
    List<String> forged = List.of(Tokens.hmac("HS256", der, header, payload),
        Tokens.hmac("HS256", pem.getBytes(StandardCharsets.US_ASCII), header, payload),
        Tokens.hmac("HS256", rsa.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), header, payload));

    // HS256 is allowed, but with no secret configured there is no HMAC key at all...
    Authenticator jwksOnly = authenticator(Optional.empty());
    // ...and with one, HMAC uses only that secret, never a key from the set.
    Authenticator both = authenticator(Optional.of("the-real-webui-secret"));
    for (String token : forged) {
      assertThatThrownBy(() -> jwksOnly.authenticate(Optional.of(token), Optional.empty()))
          .isInstanceOf(Unauthorized.class).hasMessage("the token's signing algorithm is not accepted");
      assertThatThrownBy(() -> both.authenticate(Optional.of(token), Optional.empty()))
          .isInstanceOf(Unauthorized.class).hasMessage("the token's signature does not verify");
    }
  }

  @Test
  void unknownKeyIdsRefetchTheSetAtMostOncePerFiveMinutes() {
    Authenticator auth = authenticator(Optional.empty());
    String withNewKey = Tokens.signed(rotated, JWSAlgorithm.ES256, "e2", claims("u1"));

    for (int i = 0; i < 20; i++) {
      assertThatThrownBy(() -> auth.authenticate(Optional.of(withNewKey), Optional.empty()))
          .isInstanceOf(Unauthorized.class).hasMessage("the token's signing key is not known");
    }
    assertThat(jwks.hits()).isEqualTo(1);

    published = List.of(rsa, ec, rotated);
    clock.advance(Duration.ofMinutes(4));
    assertThatThrownBy(() -> auth.authenticate(Optional.of(withNewKey), Optional.empty())).isInstanceOf(Unauthorized.class);
    assertThat(jwks.hits()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(1));
    assertThat(auth.authenticate(Optional.of(withNewKey), Optional.empty())).isEqualTo(new Principal.User("u1", false));
    assertThat(jwks.hits()).isEqualTo(2);
  }

  @Test
  void keysRemovedFromTheSetStopWorkingOnceTheCacheAges() {
    Authenticator auth = authenticator(Optional.empty());
    String token = Tokens.signed(rsa, JWSAlgorithm.RS256, "r1", Map.of("id", "u1", "exp", in(7200)));
    assertThat(auth.authenticate(Optional.of(token), Optional.empty())).isEqualTo(new Principal.User("u1", false));

    published = List.of(ec);
    clock.advance(Duration.ofMinutes(61));

    assertThatThrownBy(() -> auth.authenticate(Optional.of(token), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing key is not known");
  }

  @Test
  void symmetricAndShortKeysInTheSetAreIgnored() throws JOSEException {
    RSAKey weak = new RSAKeyGenerator(1024, true).keyID("weak").generate();
    OctetSequenceKey oct = new OctetSequenceKeyGenerator(256).keyID("oct").generate();
    published = List.of(weak, oct);
    Authenticator auth = authenticator(Optional.empty());
    String hs256 = Tokens.hmac("HS256", oct.toByteArray(), "{\"alg\":\"HS256\",\"kid\":\"oct\"}", "{\"id\":\"u1\",\"exp\":" + in(60) + "}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.signed(weak, JWSAlgorithm.RS256, "weak", claims("u1"))), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing key is not known");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(hs256), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing algorithm is not accepted");
  }

  @Test
  void anUnreachableKeySetIsUnavailableNotUnauthorized() {
    jwks.answer(exchange -> new FakeServer.Reply(500, ""));
    Authenticator auth = authenticator(Optional.empty());
    String token = Tokens.signed(rsa, JWSAlgorithm.RS256, "r1", claims("u1"));

    assertThatThrownBy(() -> auth.authenticate(Optional.of(token), Optional.empty())).isInstanceOf(Unavailable.class);
    assertThat(jwks.hits()).isEqualTo(1);
    // Retried after a short pause, not on every request.
    assertThatThrownBy(() -> auth.authenticate(Optional.of(token), Optional.empty())).isInstanceOf(Unavailable.class);
    assertThat(jwks.hits()).isEqualTo(1);

    jwks.answer(exchange -> new FakeServer.Reply(200, keySet()));
    clock.advance(JwksKeys.RETRY_EMPTY);
    assertThat(auth.authenticate(Optional.of(token), Optional.empty())).isEqualTo(new Principal.User("u1", false));
  }

  @Test
  void theKeySetAnswerIsSizeLimited() {
    String huge = published.stream().map(k -> k.toPublicJWK().toJSONString()).collect(Collectors.joining(",", "{\"keys\":[", "]"))
        + ",\"padding\":\"" + "x".repeat(520 * 1024) + "\"}";
    jwks.answer(exchange -> new FakeServer.Reply(200, huge));
    Authenticator auth = authenticator(Optional.empty());

    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.signed(rsa, JWSAlgorithm.RS256, "r1", claims("u1"))), Optional.empty()))
        .isInstanceOf(Unavailable.class);
  }
}
