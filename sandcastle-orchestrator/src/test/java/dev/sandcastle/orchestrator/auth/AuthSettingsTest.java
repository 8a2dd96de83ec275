package dev.sandcastle.orchestrator.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthSettingsTest {
  private static final String KEY = "admin-key-0123456789abcdef";

  private static AuthSettings with(Set<String> algorithms) {
    return new AuthSettings(KEY, Optional.empty(), Optional.empty(), algorithms, AuthSettings.DEFAULT_CLOCK_SKEW,
        Optional.empty(), AuthSettings.DEFAULT_CALLBACK_TTL);
  }

  @Test
  void defaultsAreHs256Rs256Es256WithThirtySecondsOfSkewAndASixtySecondCache() {
    AuthSettings settings = AuthSettings.defaults(KEY);

    assertThat(settings.algorithms()).containsExactlyInAnyOrder("HS256", "RS256", "ES256");
    assertThat(settings.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.callbackTtl()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void noneCanNeverBeAllowed() {
    assertThatThrownBy(() -> with(Set.of("HS256", "none"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'none'");
    assertThatThrownBy(() -> with(Set.of("None"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> with(Set.of("XS999"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("supported");
    assertThatThrownBy(() -> with(Set.of())).isInstanceOf(IllegalArgumentException.class);
    assertThat(with(Set.of("rs256", " es384 ")).algorithms()).containsExactlyInAnyOrder("RS256", "ES384");
  }

  @Test
  void theAdminKeyMustBeLongEnough() {
    assertThatThrownBy(() -> AuthSettings.defaults("short-key")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the admin key must be at least 16 characters");
    assertThatThrownBy(() -> AuthSettings.defaults("sixteen chars ok")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void urlsMustBeHttp() {
    assertThatThrownBy(() -> new AuthSettings(KEY, Optional.empty(), Optional.of(URI.create("file:///etc/keys.json")),
        AuthSettings.DEFAULT_ALGORITHMS, Duration.ZERO, Optional.empty(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JWKS URL");
  }

  @Test
  void toStringHidesTheSecrets() {
    AuthSettings settings = new AuthSettings(KEY, Optional.of("webui-secret-value"), Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS,
        AuthSettings.DEFAULT_CLOCK_SKEW, Optional.of(URI.create("http://webui:8080")), AuthSettings.DEFAULT_CALLBACK_TTL);

    assertThat(settings.toString()).doesNotContain(KEY).doesNotContain("webui-secret-value").contains("http://webui:8080");
  }
}
