package dev.sandcastle.orchestrator.auth;

import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.ADMIN_KEY;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.NOW;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.SECRET;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.in;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.sandcastle.core.errors.Unauthorized;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The accepted issuers ({@code iss}) and audiences ({@code aud}) of tokens verified here: Open WebUI's HS256 ones and JWKS-signed ones. */
class IssuerAudienceTest {
  static final String IDP = "https://idp.example.com/realms/team";
  static final byte[] SESSION_KEY = "our-session-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final MutableClock clock = new MutableClock(NOW);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void close() {
    http.close();
  }

  static AuthSettings webui() {
    return new AuthSettings(ADMIN_KEY, Optional.of(SECRET), Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS,
        AuthSettings.DEFAULT_CLOCK_SKEW, Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL);
  }

  Authenticator auth(AuthSettings settings) {
    return new Authenticator(settings, http, clock);
  }

  /** An HS256 token signed with Open WebUI's secret, for user u1, with these extra claims (raw JSON members). */
  static String hs256(String members) {
    return Tokens.hs256(SECRET, "{\"id\":\"u1\",\"exp\":" + in(600) + (members.isEmpty() ? "" : "," + members) + "}");
  }

  static String user(Authenticator auth, String token) {
    return auth.authenticate(Optional.of(token), Optional.empty()).userId().orElseThrow();
  }

  @Test
  void withIssuersSetATokenMustNameOneExactly() {
    Authenticator auth = auth(webui().withIssuers(Set.of(IDP, "open-webui")));

    assertThat(user(auth, hs256("\"iss\":\"" + IDP + "\""))).isEqualTo("u1");
    assertThat(user(auth, hs256("\"iss\":\"open-webui\""))).isEqualTo("u1");
    assertThatThrownBy(() -> user(auth, hs256("\"iss\":\"" + IDP + "/\"")))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's issuer (iss) is not accepted");
    assertThatThrownBy(() -> user(auth, hs256("\"iss\":\"OPEN-WEBUI\""))).isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> user(auth, hs256("")))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("names no issuer (iss)");
  }

  @Test
  void withAudiencesSetTheAudienceMayBeAStringOrAnArrayButMustContainOne() {
    Authenticator auth = auth(webui().withAudiences(Set.of("sandcastle", "terminals")));

    assertThat(user(auth, hs256("\"aud\":\"sandcastle\""))).isEqualTo("u1");
    assertThat(user(auth, hs256("\"aud\":[\"mail\",\"terminals\"]"))).isEqualTo("u1");
    assertThat(user(auth, hs256("\"aud\":[\"sandcastle\"]"))).isEqualTo("u1");
    assertThatThrownBy(() -> user(auth, hs256("\"aud\":\"mail\"")))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's audience (aud) is not accepted");
    assertThatThrownBy(() -> user(auth, hs256("\"aud\":[\"mail\",\"calendar\"]")))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's audience (aud) is not accepted");
    assertThatThrownBy(() -> user(auth, hs256("\"aud\":[]"))).isInstanceOf(Unauthorized.class).hasMessageContaining("names no audience");
    assertThatThrownBy(() -> user(auth, hs256(""))).isInstanceOf(Unauthorized.class).hasMessageContaining("names no audience (aud)");
    assertThatThrownBy(() -> user(auth, hs256("\"aud\":42"))).isInstanceOf(Unauthorized.class);
  }

  @Test
  void withoutIssuersOrAudiencesAnyOrNoneIsAccepted() {
    Authenticator auth = auth(webui());

    assertThat(user(auth, hs256(""))).isEqualTo("u1");
    assertThat(user(auth, hs256("\"iss\":\"anyone\",\"aud\":[\"anything\"]"))).isEqualTo("u1");
  }

  @Test
  void jwksTokensAreCheckedForBothAndTheSignatureStillComesFirst() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("r1").generate();
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("r1").generate();
    try (FakeServer jwks = new FakeServer(exchange -> new FakeServer.Reply(200, new JWKSet(key.toPublicJWK()).toString()))) {
      AuthSettings settings = new AuthSettings(ADMIN_KEY, Optional.empty(), Optional.of(jwks.uri("/jwks.json")),
          AuthSettings.DEFAULT_ALGORITHMS, AuthSettings.DEFAULT_CLOCK_SKEW, Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL)
          .withIssuers(Set.of(IDP)).withAudiences(Set.of("sandcastle"));
      Authenticator auth = auth(settings);

      String good = Tokens.signed(key, JWSAlgorithm.RS256, "r1", Map.of("sub", "u2", "exp", in(600), "iss", IDP, "aud", "sandcastle"));
      String asArray = Tokens.signed(key, JWSAlgorithm.RS256, "r1",
          Map.of("sub", "u2", "exp", in(600), "iss", IDP, "aud", List.of("account", "sandcastle")));
      String otherAudience = Tokens.signed(key, JWSAlgorithm.RS256, "r1",
          Map.of("sub", "u2", "exp", in(600), "iss", IDP, "aud", List.of("account")));
      String otherIssuer = Tokens.signed(key, JWSAlgorithm.RS256, "r1",
          Map.of("sub", "u2", "exp", in(600), "iss", "https://evil.example.com", "aud", "sandcastle"));
      String forged = Tokens.signed(stranger, JWSAlgorithm.RS256, "r1", Map.of("sub", "u2", "exp", in(600), "iss", IDP, "aud", "sandcastle"));

      assertThat(user(auth, good)).isEqualTo("u2");
      assertThat(user(auth, asArray)).isEqualTo("u2");
      assertThatThrownBy(() -> user(auth, otherAudience)).isInstanceOf(Unauthorized.class).hasMessageContaining("audience");
      assertThatThrownBy(() -> user(auth, otherIssuer)).isInstanceOf(Unauthorized.class).hasMessageContaining("issuer");
      assertThatThrownBy(() -> user(auth, forged)).isInstanceOf(Unauthorized.class).hasMessageContaining("signature");
      assertThat(settings.trustsAnyJwksToken()).isFalse();
    }
  }

  @Test
  void ourOwnSessionTokensKeepTheirOwnIssuerCheck() {
    Authenticator auth = auth(webui().withIssuers(Set.of(IDP)).withAudiences(Set.of("sandcastle")).withSessionKey(SESSION_KEY));
    String session = Tokens.hmac("HS256", SESSION_KEY, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
        "{\"id\":\"acc-1\",\"sub\":\"acc-1\",\"iss\":\"sandcastle\",\"exp\":" + in(600) + "}");
    String notOurIssuer = Tokens.hmac("HS256", SESSION_KEY, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
        "{\"id\":\"acc-1\",\"iss\":\"" + IDP + "\",\"aud\":\"sandcastle\",\"exp\":" + in(600) + "}");

    assertThat(user(auth, session)).isEqualTo("acc-1");
    assertThatThrownBy(() -> user(auth, notOurIssuer)).isInstanceOf(Unauthorized.class).hasMessageContaining("issuer");
  }

  @Test
  void theSettingsAreValidatedShownAndSayWhenAJwksIsTrustedBlindly() {
    URI jwks = URI.create("https://idp.example.com/jwks");
    AuthSettings withJwks = new AuthSettings(ADMIN_KEY, Optional.empty(), Optional.of(jwks), AuthSettings.DEFAULT_ALGORITHMS,
        AuthSettings.DEFAULT_CLOCK_SKEW, Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL);

    assertThat(withJwks.trustsAnyJwksToken()).isTrue();
    assertThat(withJwks.withAudiences(Set.of("sandcastle")).trustsAnyJwksToken()).isFalse();
    assertThat(withJwks.withIssuers(Set.of(IDP)).trustsAnyJwksToken()).isFalse();
    assertThat(webui().trustsAnyJwksToken()).isFalse();
    assertThat(withJwks.withIssuers(Set.of(IDP)).withAudiences(Set.of("sandcastle")).toString())
        .contains("issuers=[" + IDP + "]").contains("audiences=[sandcastle]");

    assertThatThrownBy(() -> AuthSettings.defaults(ADMIN_KEY).withIssuers(Set.of(IDP)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Open WebUI secret key or a JWKS URL");
    assertThatThrownBy(() -> withJwks.withAudiences(Set.of(" ")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audience");
    assertThatThrownBy(() -> withJwks.withIssuers(Set.of("bad\nissuer")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("issuer");
    assertThatThrownBy(() -> withJwks.withIssuers(Set.of("x".repeat(AuthSettings.MAX_CLAIM_VALUE + 1))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
