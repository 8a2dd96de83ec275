package dev.sandcastle.orchestrator.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The orchestrator's own session tokens (local accounts), next to Open WebUI's. */
class SessionTokenTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String WEBUI_SECRET = "t0p-s3cr3t";
  static final byte[] KEY = "our-session-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  static final byte[] OTHER_KEY = "another-session-key-0123456789ab".getBytes(StandardCharsets.US_ASCII);
  static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
  static final String HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

  private final MutableClock clock = new MutableClock(NOW);
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void closeClient() {
    http.close();
  }

  Authenticator auth(Optional<String> webuiSecret, Set<String> algorithms) {
    return new Authenticator(new AuthSettings(ADMIN_KEY, webuiSecret, Optional.empty(), algorithms, AuthSettings.DEFAULT_CLOCK_SKEW,
        Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL).withSessionKey(KEY), http, clock);
  }

  static String ours(byte[] key, String claims) {
    return Tokens.hmac("HS256", key, HS256, claims);
  }

  static String session(String id, String role, long exp) {
    return ours(KEY, "{\"id\":\"" + id + "\",\"sub\":\"" + id + "\",\"email\":\"a@example.com\",\"role\":\"" + role
        + "\",\"iss\":\"sandcastle\",\"iat\":" + NOW.getEpochSecond() + ",\"exp\":" + exp + "}");
  }

  static long in(long seconds) {
    return NOW.getEpochSecond() + seconds;
  }

  @Test
  void ourTokenNamesItsAccountAndItsRoleEvenWithoutAnyOtherVerifier() {
    Authenticator auth = auth(Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS);

    assertThat(auth.authenticate(Optional.of(session("acc-1", "admin", in(600))), Optional.empty()))
        .isEqualTo(new Principal.User("acc-1", true));
    assertThat(auth.authenticate(Optional.of(session("acc-2", "user", in(600))), Optional.of("acc-2")))
        .isEqualTo(new Principal.User("acc-2", false));
    assertThatThrownBy(() -> auth.authenticateAdmin(Optional.of(session("acc-2", "user", in(600))), Optional.empty()))
        .isInstanceOf(Forbidden.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of(session("acc-2", "user", in(600))), Optional.of("acc-1")))
        .isInstanceOf(Forbidden.class);
  }

  @Test
  void openWebuiTokensAreStillAcceptedBesideOurs() {
    Authenticator auth = auth(Optional.of(WEBUI_SECRET), AuthSettings.DEFAULT_ALGORITHMS);
    String webui = Tokens.hs256(WEBUI_SECRET, "{\"id\":\"owui-user\",\"exp\":" + in(600) + "}");

    assertThat(auth.authenticate(Optional.of(webui), Optional.empty())).isEqualTo(new Principal.User("owui-user", false));
    assertThat(auth.authenticate(Optional.of(session("acc-1", "user", in(600))), Optional.empty()))
        .isEqualTo(new Principal.User("acc-1", false));
  }

  @Test
  void aTokenSignedWithAnotherKeyIsRefused() {
    Authenticator auth = auth(Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS);
    String forged = ours(OTHER_KEY, "{\"id\":\"acc-1\",\"role\":\"admin\",\"iss\":\"sandcastle\",\"exp\":" + in(600) + "}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(forged), Optional.empty())).isInstanceOf(Unauthorized.class);
    // With Open WebUI's secret configured it is checked against that too, and still refused.
    Authenticator both = auth(Optional.of(WEBUI_SECRET), AuthSettings.DEFAULT_ALGORITHMS);
    assertThatThrownBy(() -> both.authenticate(Optional.of(forged), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("signature");
  }

  @Test
  void ourTokensNeedOurIssuerAndAnExpiry() {
    Authenticator auth = auth(Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS);

    String noIssuer = ours(KEY, "{\"id\":\"acc-1\",\"role\":\"admin\",\"exp\":" + in(600) + "}");
    String otherIssuer = ours(KEY, "{\"id\":\"acc-1\",\"role\":\"admin\",\"iss\":\"open-webui\",\"exp\":" + in(600) + "}");
    String noExpiry = ours(KEY, "{\"id\":\"acc-1\",\"role\":\"admin\",\"iss\":\"sandcastle\"}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(noIssuer), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("issuer");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(otherIssuer), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("issuer");
    assertThatThrownBy(() -> auth.authenticate(Optional.of(noExpiry), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("expiry");
  }

  @Test
  void anExpiredSessionIsRefused() {
    Authenticator auth = auth(Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS);
    String token = session("acc-1", "user", in(60));
    assertThat(auth.authenticate(Optional.of(token), Optional.empty()).userId()).contains("acc-1");

    clock.advance(Duration.ofMinutes(2));

    assertThatThrownBy(() -> auth.authenticate(Optional.of(token), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessageContaining("expired");
  }

  @Test
  void onlyHs256WithOurKeyMakesAnOwnSession() {
    Authenticator auth = auth(Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS);
    String claims = "{\"id\":\"acc-1\",\"role\":\"admin\",\"iss\":\"sandcastle\",\"exp\":" + in(600) + "}";
    String hs512 = Tokens.hmac("HS512", KEY, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims);
    String unsigned = Tokens.b64("{\"alg\":\"none\"}") + "." + Tokens.b64(claims) + ".";

    assertThatThrownBy(() -> auth.authenticate(Optional.of(hs512), Optional.empty())).isInstanceOf(Unauthorized.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of(unsigned), Optional.empty())).isInstanceOf(Unauthorized.class);
  }

  @Test
  void ourTokensAreAcceptedWhateverTheAlgorithmsAllowedForOtherIssuers() {
    Authenticator auth = auth(Optional.empty(), Set.of("RS256"));

    assertThat(auth.authenticate(Optional.of(session("acc-1", "user", in(600))), Optional.empty()).userId()).contains("acc-1");
  }

  @Test
  void aSignedOutSessionIsRefusedAndOnlyOurTokensAreAskedAbout() {
    java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    Revocations revocations = (user, tokenId, issuedAt) -> {
      asked.add(user + " " + tokenId.orElse("-") + " " + issuedAt.map(Instant::getEpochSecond).orElse(0L));
      return tokenId.filter("revoked-jti"::equals).isPresent();
    };
    Authenticator auth = new Authenticator(new AuthSettings(ADMIN_KEY, Optional.of(WEBUI_SECRET), Optional.empty(),
        AuthSettings.DEFAULT_ALGORITHMS, AuthSettings.DEFAULT_CLOCK_SKEW, Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL)
        .withSessionKey(KEY), http, clock, revocations);
    String revoked = ours(KEY, "{\"id\":\"acc-1\",\"sub\":\"acc-1\",\"role\":\"admin\",\"iss\":\"sandcastle\",\"jti\":\"revoked-jti\","
        + "\"iat\":" + NOW.getEpochSecond() + ",\"exp\":" + in(600) + "}");
    String kept = ours(KEY, "{\"id\":\"acc-1\",\"sub\":\"acc-1\",\"iss\":\"sandcastle\",\"jti\":\"kept-jti\",\"exp\":" + in(600) + "}");

    assertThatThrownBy(() -> auth.authenticate(Optional.of(revoked), Optional.empty()))
        .isInstanceOf(Unauthorized.class).hasMessage("the session has been signed out: sign in again");
    assertThatThrownBy(() -> auth.authenticateAdmin(Optional.of(revoked), Optional.empty())).isInstanceOf(Unauthorized.class);
    assertThat(auth.authenticate(Optional.of(kept), Optional.empty()).userId()).contains("acc-1");
    assertThat(auth.authenticate(Optional.of(Tokens.hs256(WEBUI_SECRET, "{\"id\":\"owui\",\"jti\":\"revoked-jti\",\"exp\":" + in(600) + "}")),
        Optional.empty()).userId()).contains("owui");
    assertThat(asked).containsExactly("acc-1 revoked-jti " + NOW.getEpochSecond(), "acc-1 revoked-jti " + NOW.getEpochSecond(),
        "acc-1 kept-jti 0");
  }

  @Test
  void theSessionKeyIsValidatedCopiedAndNeverShown() {
    byte[] key = KEY.clone();
    AuthSettings settings = AuthSettings.defaults(ADMIN_KEY).withSessionKey(key);
    key[0] = 'X';

    assertThat(settings.sessionKey()).hasValueSatisfying(k -> assertThat(k).isEqualTo(KEY));
    assertThat(settings.toString()).contains("sessionKey=***").doesNotContain(new String(KEY, StandardCharsets.US_ASCII));
    assertThat(AuthSettings.defaults(ADMIN_KEY).sessionKey()).isEmpty();
    assertThatThrownBy(() -> AuthSettings.defaults(ADMIN_KEY).withSessionKey(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
  }
}
