package dev.sandcastle.orchestrator.auth;

import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.ADMIN_KEY;
import static dev.sandcastle.orchestrator.auth.AuthenticatorTest.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.core.errors.Unavailable;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tokens checked by asking a (fake) Open WebUI, the upstream way, with a short cache. */
class CallbackTest {
  /** What the fake Open WebUI knows: token to its answer of GET /api/v1/auths/. */
  private static final Map<String, String> USERS = Map.of(
      "tok-user", "{\"id\":\"u1\",\"email\":\"u1@example.org\",\"name\":\"U One\",\"role\":\"user\",\"token\":\"tok-user\"}",
      "tok-admin", "{\"id\":\"boss\",\"role\":\"admin\"}",
      "tok-pending", "{\"id\":\"newbie\",\"role\":\"pending\"}",
      "tok-odd", "{\"name\":\"no id\"}");

  private final MutableClock clock = new MutableClock(NOW);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final FakeServer webui;
  private final Authenticator auth;

  CallbackTest() throws Exception {
    webui = new FakeServer(exchange -> {
      if (!exchange.getRequestURI().getPath().equals("/api/v1/auths/")) {
        return new FakeServer.Reply(404, "{\"detail\":\"Not Found\"}");
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      String token = authorization == null ? "" : authorization.substring("Bearer ".length());
      String user = USERS.get(token);
      return user == null ? new FakeServer.Reply(401, "{\"detail\":\"Not authenticated\"}") : new FakeServer.Reply(200, user);
    });
    auth = authenticator(webui.uri("/"));
  }

  private Authenticator authenticator(URI webuiUrl) {
    return new Authenticator(new AuthSettings(ADMIN_KEY, Optional.empty(), Optional.empty(), AuthSettings.DEFAULT_ALGORITHMS,
        AuthSettings.DEFAULT_CLOCK_SKEW, Optional.of(webuiUrl), Duration.ofSeconds(60)), http, clock);
  }

  @AfterEach
  void close() {
    webui.close();
    http.close();
  }

  @Test
  void openWebuiNamesTheUserAndTheAnswerIsCachedForItsTime() {
    assertThat(auth.authenticate(Optional.of("tok-user"), Optional.of("u1"))).isEqualTo(new Principal.User("u1", false));
    assertThat(webui.authorizations()).containsExactly("Bearer tok-user");

    clock.advance(Duration.ofSeconds(59));
    assertThat(auth.authenticate(Optional.of("tok-user"), Optional.empty())).isEqualTo(new Principal.User("u1", false));
    assertThat(webui.hits()).as("the second call is answered from the cache").isEqualTo(1);

    clock.advance(Duration.ofSeconds(2));
    assertThat(auth.authenticate(Optional.of("tok-user"), Optional.empty())).isEqualTo(new Principal.User("u1", false));
    assertThat(webui.hits()).as("after 60 s Open WebUI is asked again").isEqualTo(2);
  }

  @Test
  void aTokenOpenWebuiRejectsIsUnauthorizedAndNotCached() {
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> auth.authenticate(Optional.of("tok-stolen"), Optional.of("u1")))
          .isInstanceOf(Unauthorized.class).hasMessage("Open WebUI did not accept the token");
    }
    assertThat(webui.hits()).isEqualTo(2);
  }

  @Test
  void theUserMustMatchXUserIdEvenFromTheCache() {
    auth.authenticate(Optional.of("tok-user"), Optional.empty());

    assertThatThrownBy(() -> auth.authenticate(Optional.of("tok-user"), Optional.of("u2")))
        .isInstanceOf(Forbidden.class).hasMessage("the token belongs to another user");
  }

  @Test
  void rolesComeFromOpenWebui() {
    assertThat(auth.authenticateAdmin(Optional.of("tok-admin"), Optional.empty())).isEqualTo(new Principal.User("boss", true));
    assertThatThrownBy(() -> auth.authenticateAdmin(Optional.of("tok-user"), Optional.empty())).isInstanceOf(Forbidden.class);
    assertThatThrownBy(() -> auth.authenticate(Optional.of("tok-pending"), Optional.empty()))
        .isInstanceOf(Forbidden.class).hasMessageContaining("approval");
  }

  @Test
  void theAdminKeyNeverGoesToOpenWebui() {
    assertThat(auth.authenticate(Optional.of(ADMIN_KEY), Optional.of("u1"))).isEqualTo(new Principal.Service("u1"));
    assertThat(webui.hits()).isZero();
  }

  @Test
  void anOpenWebuiThatCannotAnswerMakesUsUnavailable() {
    assertThatThrownBy(() -> auth.authenticate(Optional.of("tok-odd"), Optional.empty())).isInstanceOf(Unavailable.class);

    webui.answer(exchange -> new FakeServer.Reply(502, ""));
    assertThatThrownBy(() -> auth.authenticate(Optional.of("tok-user"), Optional.empty()))
        .isInstanceOf(Unavailable.class).hasMessageContaining("HTTP 502");

    URI gone = webui.uri("/");
    webui.close();
    assertThatThrownBy(() -> authenticator(gone).authenticate(Optional.of("tok-user"), Optional.empty()))
        .isInstanceOf(Unavailable.class).hasMessageContaining("cannot be reached");
  }

  @Test
  void theCacheIsBounded() {
    OpenWebuiClient client = new OpenWebuiClient(http, webui.uri("/"), Duration.ofSeconds(60), 3, clock);
    webui.answer(exchange -> new FakeServer.Reply(200, "{\"id\":\"u1\",\"role\":\"user\"}"));

    for (int i = 0; i < 5; i++) {
      client.verify("tok-" + i);
    }
    assertThat(client.cached()).isEqualTo(3);
    client.verify("tok-4");
    assertThat(webui.hits()).as("the newest answers are kept").isEqualTo(5);
    client.verify("tok-0");
    assertThat(webui.hits()).as("the oldest was dropped").isEqualTo(6);
  }
}
