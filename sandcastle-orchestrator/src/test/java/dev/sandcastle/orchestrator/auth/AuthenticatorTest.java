package dev.sandcastle.orchestrator.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import java.net.http.HttpClient;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin key and Open WebUI's HS256 tokens, and the usual attacks on them. */
class AuthenticatorTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  /** Open WebUI's historical default WEBUI_SECRET_KEY: shorter than 256 bits, and still what it signs with. */
  static final String SECRET = "t0p-s3cr3t";
  static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");

  private final MutableClock clock = new MutableClock(NOW);
  private final HttpClient http = HttpClient.newHttpClient();
  private final Authenticator auth = new Authenticator(settings(Optional.of(SECRET), AuthSettings.DEFAULT_ALGORITHMS), http, clock);

  @AfterEach
  void closeClient() {
    http.close();
  }

  static AuthSettings settings(Optional<String> secret, Set<String> algorithms) {
    return new AuthSettings(ADMIN_KEY, secret, Optional.empty(), algorithms, AuthSettings.DEFAULT_CLOCK_SKEW,
        Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL);
  }

  static long in(long seconds) {
    return NOW.getEpochSecond() + seconds;
  }

  /** A token shaped like Open WebUI's: {"id": ..., "exp": ..., "jti": ...}. */
  static String webuiToken(String user, long exp) {
    return Tokens.hs256(SECRET, "{\"id\":\"" + user + "\",\"exp\":" + exp + ",\"jti\":\"8c2f0c7e\"}");
  }

  @Test
  void theAdminKeyAloneIsTheAdministrator() {
    assertThat(auth.authenticate(Optional.of(ADMIN_KEY), Optional.empty())).isEqualTo(new Principal.Admin());
    assertThat(auth.isAdminKey(ADMIN_KEY)).isTrue();
    assertThat(auth.isAdminKey(ADMIN_KEY + "x")).isFalse();
  }

  @Test
  void theAdminKeyWithAUserIdIsAServiceActingForThatUser() {
    Principal principal = auth.authenticate(Optional.of(ADMIN_KEY), Optional.of("u1"));

    assertThat(principal).isEqualTo(new Principal.Service("u1"));
    assertThat(principal.userId()).contains("u1");
    assertThat(principal.isAdmin()).isTrue();
  }

  @Test
  void aMalformedUserIdIsABadRequest() {
    assertThatThrownBy(() -> auth.authenticate(Optional.of(ADMIN_KEY), Optional.of("u\n1")))
        .isInstanceOf(BadRequest.class).hasMessageContaining("control character");
  }

  @Test
  void aWrongKeyOrNoKeyIsUnauthorized() {
    Authenticator keyOnly = new Authenticator(AuthSettings.defaults(ADMIN_KEY), http, clock);

    assertThatThrownBy(() -> keyOnly.authenticate(Optional.empty(), Optional.of("u1")))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> keyOnly.authenticate(Optional.of(""), Optional.empty())).isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> keyOnly.authenticate(Optional.of("admin-key-0123456789abcdeX"), Optional.of("u1")))
        .isInstanceOf(Unauthorized.class).hasMessage("the API key is not valid");
    // Without a secret, JWKS or Open WebUI URL, even a well-signed token is just a wrong key.
    assertThatThrownBy(() -> keyOnly.authenticate(Optional.of(webuiToken("u1", in(3600))), Optional.empty()))
        .isInstanceOf(Unauthorized.class);
  }

  @Test
  void anOpenWebuiTokenNamesItsUser() {
    Principal principal = auth.authenticate(Optional.of(webuiToken("u1", in(3600))), Optional.empty());

    assertThat(principal).isEqualTo(new Principal.User("u1", false));
    assertThat(principal.userId()).contains("u1");
    assertThat(auth.authenticate(Optional.of(webuiToken("u1", in(3600))), Optional.of("u1")))
        .isEqualTo(new Principal.User("u1", false));
  }

  @Test
  void aTokenForAnotherUserIsForbidden() {
    assertThatThrownBy(() -> auth.authenticate(Optional.of(webuiToken("u1", in(3600))), Optional.of("u2")))
        .isInstanceOf(Forbidden.class).hasMessage("the token belongs to another user");
  }

  @Test
  void subIsTheUserWhenThereIsNoIdAndRoleAdminMakesAnAdministrator() {
    String token = Tokens.hs256(SECRET, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":" + in(60) + "}");

    assertThat(auth.authenticateAdmin(Optional.of(token), Optional.empty())).isEqualTo(new Principal.User("alice", true));
  }

  @Test
  void theAdminEndpointsRefuseOrdinaryUsers() {
    assertThatThrownBy(() -> auth.authenticateAdmin(Optional.of(webuiToken("u1", in(3600))), Optional.empty()))
        .isInstanceOf(Forbidden.class);
    assertThat(auth.authenticateAdmin(Optional.of(ADMIN_KEY), Optional.empty())).isEqualTo(new Principal.Admin());
    assertThat(auth.authenticateAdmin(Optional.of(ADMIN_KEY), Optional.of("u1"))).isEqualTo(new Principal.Service("u1"));
  }

  @Test
  void anUnsignedTokenIsRefused() {
    String none = Tokens.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Tokens.b64("{\"id\":\"u1\",\"exp\":" + in(3600) + "}") + ".";
    String noneUpper = Tokens.b64("{\"alg\":\"NONE\"}") + "." + Tokens.b64("{\"id\":\"u1\",\"exp\":" + in(3600) + "}") + ".";

    assertThatThrownBy(() -> auth.authenticate(Optional.of(none), Optional.of("u1"))).isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of(noneUpper), Optional.of("u1"))).isInstanceOf(Unauthorized.class);
  }

  @Test
  void aTokenSignedWithAnotherSecretIsRefused() {
    String forged = Tokens.hs256("guessed-secret", "{\"id\":\"u1\",\"exp\":" + in(3600) + "}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(forged), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signature does not verify");
  }

  @Test
  void aTokenWhosePayloadWasChangedIsRefused() {
    String[] parts = webuiToken("u1", in(3600)).split("\\.");
    String tampered = parts[0] + "." + Tokens.b64("{\"id\":\"admin\",\"exp\":" + in(3600) + ",\"jti\":\"8c2f0c7e\"}") + "." + parts[2];

    assertThatThrownBy(() -> auth.authenticate(Optional.of(tampered), Optional.empty())).isInstanceOf(Unauthorized.class);
  }

  @Test
  void expiryIsRequiredAndChecked() {
    assertThatThrownBy(() -> auth.authenticate(Optional.of(webuiToken("u1", in(-3600))), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token has expired");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.hs256(SECRET, "{\"id\":\"u1\"}")), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("no expiry");
    // Within the 30 s of clock skew a just-expired token still counts.
    assertThat(auth.authenticate(Optional.of(webuiToken("u1", in(-20))), Optional.empty())).isEqualTo(new Principal.User("u1", false));
    assertThatThrownBy(() -> auth.authenticate(Optional.of(webuiToken("u1", in(-40))), Optional.empty()))
        .isInstanceOf(Unauthorized.class);
  }

  @Test
  void aTokenNotValidYetIsRefused() {
    String later = Tokens.hs256(SECRET, "{\"id\":\"u1\",\"nbf\":" + in(600) + ",\"exp\":" + in(3600) + "}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(later), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token is not valid yet");
    clock.advance(java.time.Duration.ofMinutes(10));
    assertThat(auth.authenticate(Optional.of(later), Optional.empty())).isEqualTo(new Principal.User("u1", false));
  }

  @Test
  void anAlgorithmOutsideTheAllowListIsRefusedEvenWithTheRightSecret() {
    Authenticator rsaOnly = new Authenticator(settings(Optional.of(SECRET), Set.of("RS256")), http, clock);
    String hs512 = Tokens.hmac("HS512", SECRET.getBytes(), "{\"alg\":\"HS512\"}", "{\"id\":\"u1\",\"exp\":" + in(60) + "}");

    assertThatThrownBy(() -> rsaOnly.authenticate(Optional.of(webuiToken("u1", in(3600))), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing algorithm is not accepted");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(hs512), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's signing algorithm is not accepted");
  }

  @Test
  void garbageAndTokensWithoutAUserAreRefused() {
    assertThatThrownBy(() -> auth.authenticate(Optional.of("not-a-jwt-at-all"), Optional.empty()))
        .isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of("a b"), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the API key or token is malformed");
    assertThatThrownBy(() -> auth.authenticate(Optional.of("x".repeat(10_000)), Optional.empty()))
        .isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.hs256(SECRET, "{\"exp\":" + in(60) + "}")), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("names no user");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(Tokens.hs256(SECRET, "{\"id\":\"a\\u0000b\",\"exp\":" + in(60) + "}")), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the token's user id is not valid");
  }

  @Test
  void failuresNeverRepeatTheToken() {
    String forged = Tokens.hs256("guessed-secret", "{\"id\":\"u1\",\"exp\":" + in(3600) + "}");
    String expired = webuiToken("u1", in(-3600));

    for (String token : new String[] {forged, expired, "garbage.token.here"}) {
      assertThatThrownBy(() -> auth.authenticate(Optional.of(token), Optional.of("u1")))
          .isInstanceOf(Unauthorized.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token).doesNotContain(token.split("\\.")[0]));
    }
  }
}
