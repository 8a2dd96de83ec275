package dev.sandcastle.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.api.ApiSettings;
import dev.sandcastle.api.Handshake;
import dev.sandcastle.api.SocketRefused;
import dev.sandcastle.api.WorkspaceApi;
import dev.sandcastle.orchestrator.account.AccountService;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Authenticator;
import dev.sandcastle.orchestrator.auth.FailureThrottle;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.conversation.ConversationService;
import dev.sandcastle.orchestrator.crypto.KeyRing;
import dev.sandcastle.orchestrator.db.Database;
import dev.sandcastle.orchestrator.db.TestDatabase;
import dev.sandcastle.orchestrator.policy.Policies;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.policy.PolicyRepository;
import dev.sandcastle.orchestrator.tenant.Tenant;
import dev.sandcastle.orchestrator.tenant.TenantRepository;
import dev.sandcastle.orchestrator.tenant.TenantService;
import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /api/auth/signout} on a server wired like the orchestrator (H2): a signed-out token
 * is refused everywhere a token is accepted (API, admin API, WebSocket), other sessions go on.
 */
class SignOutTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;
  TestDatabase where;
  Database db;
  AuditLog audit;
  AccountService accounts;
  TenantService tenants;
  TenantAccess access;
  Javalin app;
  HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    where = TestDatabase.h2();
    db = where.open();
    audit = AuditLog.open(db);
    accounts = new AccountService(db, audit, dir.resolve("session.key"), true, AccountService.DEFAULT_SESSION_TTL);
    Policy maxima = new Policy("default", "", Map.of(), 2, 1L << 30, 1L << 30, 100, Duration.ofMinutes(10), "none", "", "UTC");
    Policies policies = new Policies(new PolicyRepository(db), maxima, Set.of());
    tenants = new TenantService(new TenantRepository(db), policies, new RemoteBackend(), KeyRing.load(Optional.empty(), dir.resolve("master.key")),
        audit, new SimpleMeterRegistry(), Clock.systemUTC(), 16);
    Authenticator authenticator = new Authenticator(AuthSettings.defaults(ADMIN_KEY).withSessionKey(accounts.sessionKey()), http,
        accounts.revocations());
    access = new TenantAccess(authenticator, new FailureThrottle(), audit, tenants, policies, AccountRoutes::isCredentialFree);
    AccountRoutes accountRoutes = new AccountRoutes(accounts, access);
    ConversationRoutes conversations = new ConversationRoutes(new ConversationService(db));
    app = WorkspaceApi.server("127.0.0.1", 0, new ApiSettings(access, 1 << 20, 1 << 20, dir, ApiSettings.TENANT_PREFIXES), r -> {
      accountRoutes.register(r);
      conversations.register(r);
      r.after(access::audited);
    });
    app.start();
  }

  @AfterEach
  void stop() {
    app.stop();
    tenants.close();
    accounts.close();
    audit.close();
    db.close();
    where.close();
    http.close();
  }

  record Answer(int status, String text) {
    JsonNode json() {
      return JSON.readTree(text);
    }
  }

  Answer send(String method, String path, String token, Object body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .header("Content-Type", "application/json");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body());
  }

  String signIn(String email, String password) throws Exception {
    Answer answer = send("POST", "/api/auth/signin", null, Map.of("email", email, "password", password));
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    return answer.json().path("token").asString();
  }

  void socket(String token, String user) {
    Handshake handshake = new Handshake("/api/terminals/t1", Map.of("id", "t1"), Map.of("user_id", user), Map.of(), "127.0.0.1",
        new ConcurrentHashMap<>());
    access.checkSocket(handshake, Optional.of(token));
    access.socketClosed(handshake);
  }

  @Test
  void aSignedOutTokenIsRefusedEverywhereWhileTheOtherSessionGoesOn() throws Exception {
    String id = send("POST", "/api/auth/signup", null, Map.of("email", "ada@example.com", "name", "Ada", "password", "analytical-engine"))
        .json().path("account").path("id").asString();
    String laptop = signIn("ada@example.com", "analytical-engine");
    String phone = signIn("ada@example.com", "analytical-engine");
    assertThat(send("GET", "/api/auth/me", laptop, null).status()).isEqualTo(200);
    assertThat(send("GET", "/api/conversations", laptop, null).status()).isEqualTo(200);

    Answer out = send("POST", "/api/auth/signout", laptop, null);

    assertThat(out.status()).as(out.text()).isEqualTo(204);
    Answer me = send("GET", "/api/auth/me", laptop, null);
    assertThat(me.status()).isEqualTo(401);
    assertThat(me.json().path("detail").asString()).contains("signed out");
    assertThat(send("GET", "/api/conversations", laptop, null).status()).isEqualTo(401);
    assertThat(send("GET", "/api/v1/accounts", laptop, null).status()).isEqualTo(401); // Ada is an admin: 401, not 403
    assertThat(send("POST", "/api/auth/signout", laptop, null).status()).isEqualTo(401);
    assertThatThrownBy(() -> socket(laptop, id)).isInstanceOfSatisfying(SocketRefused.class,
        e -> assertThat(e.code()).isEqualTo(SocketRefused.AUTH));

    assertThat(send("GET", "/api/auth/me", phone, null).json().path("id").asString()).isEqualTo(id);
    assertThat(send("GET", "/api/conversations", phone, null).status()).isEqualTo(200);
    assertThat(send("GET", "/api/v1/accounts", phone, null).status()).isEqualTo(200);
    socket(phone, id);
  }

  /** An open socket of this token, whose closes are recorded (code: reason) in {@code closes}. */
  Handshake openSocket(String token, String user, java.util.List<String> closes) {
    Handshake handshake = new Handshake("/api/terminals/t1", Map.of("id", "t1"), Map.of("user_id", user), Map.of(), "127.0.0.1",
        new ConcurrentHashMap<>());
    handshake.closeWith((code, reason) -> closes.add(code + ": " + reason));
    access.checkSocket(handshake, Optional.of(token));
    return handshake;
  }

  @Test
  void socketsStillOpenCloseWhenTheirSessionIsSignedOut() throws Exception {
    String id = send("POST", "/api/auth/signup", null, Map.of("email", "ada@example.com", "name", "Ada", "password", "analytical-engine"))
        .json().path("account").path("id").asString();
    String laptop = signIn("ada@example.com", "analytical-engine");
    String phone = signIn("ada@example.com", "analytical-engine");
    java.util.List<String> laptopCloses = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.List<String> phoneCloses = new java.util.concurrent.CopyOnWriteArrayList<>();
    openSocket(laptop, id, laptopCloses);
    Handshake onPhone = openSocket(phone, id, phoneCloses);
    assertThat(access.closeSignedOutSockets()).as("nothing signed out yet").isZero();

    assertThat(send("POST", "/api/auth/signout", laptop, null).status()).isEqualTo(204);

    assertThat(access.closeSignedOutSockets()).isEqualTo(1);
    assertThat(laptopCloses).containsExactly(SocketRefused.AUTH + ": the session has been signed out: sign in again");
    assertThat(phoneCloses).as("the other session's socket stays").isEmpty();
    assertThat(access.closeSignedOutSockets()).as("closed once").isZero();

    assertThat(send("POST", "/api/auth/signout?everywhere=true", phone, null).status()).isEqualTo(204);
    assertThat(access.closeSignedOutSockets()).isEqualTo(1);
    assertThat(phoneCloses).hasSize(1);
    access.socketClosed(onPhone);
  }

  @Test
  void signingOutEverywhereEndsEverySessionOfTheAccountOnly() throws Exception {
    send("POST", "/api/auth/signup", null, Map.of("email", "ada@example.com", "name", "Ada", "password", "analytical-engine"));
    send("POST", "/api/auth/signup", null, Map.of("email", "bob@example.com", "name", "Bob", "password", "bobs-password-1"));
    String laptop = signIn("ada@example.com", "analytical-engine");
    String phone = signIn("ada@example.com", "analytical-engine");
    String bob = signIn("bob@example.com", "bobs-password-1");

    assertThat(send("POST", "/api/auth/signout?everywhere=true", phone, null).status()).isEqualTo(204);

    assertThat(send("GET", "/api/auth/me", laptop, null).status()).isEqualTo(401);
    assertThat(send("GET", "/api/auth/me", phone, null).status()).isEqualTo(401);
    assertThat(send("GET", "/api/conversations", laptop, null).status()).isEqualTo(401);
    assertThat(send("GET", "/api/auth/me", bob, null).status()).isEqualTo(200);
    assertThat(send("GET", "/api/auth/me", signIn("ada@example.com", "analytical-engine"), null).status()).isEqualTo(200);
  }

  @Test
  void anAdministratorSignsAnAccountOutEverywhere() throws Exception {
    send("POST", "/api/auth/signup", null, Map.of("email", "ada@example.com", "name", "Ada", "password", "analytical-engine"));
    String bobId = send("POST", "/api/auth/signup", null, Map.of("email", "bob@example.com", "name", "Bob", "password", "bobs-password-1"))
        .json().path("account").path("id").asString();
    String ada = signIn("ada@example.com", "analytical-engine");
    String bob = signIn("bob@example.com", "bobs-password-1");

    assertThat(send("POST", "/api/v1/accounts/" + bobId + "/signout", bob, null).status()).isEqualTo(403); // not an admin
    assertThat(send("GET", "/api/auth/me", bob, null).status()).isEqualTo(200);
    assertThat(send("POST", "/api/v1/accounts/" + bobId + "/signout", ada, null).status()).isEqualTo(204);
    assertThat(send("GET", "/api/auth/me", bob, null).status()).isEqualTo(401);
    assertThat(send("POST", "/api/v1/accounts/no-such-account/signout", ADMIN_KEY, null).status()).isEqualTo(404);
    assertThat(send("GET", "/api/auth/me", ada, null).status()).isEqualTo(200);
  }

  @Test
  void signingOutNeedsASessionTokenAndAClearEverywhere() throws Exception {
    send("POST", "/api/auth/signup", null, Map.of("email", "ada@example.com", "name", "Ada", "password", "analytical-engine"));
    String ada = signIn("ada@example.com", "analytical-engine");

    assertThat(send("POST", "/api/auth/signout", null, null).status()).isEqualTo(401);
    Answer service = send("POST", "/api/auth/signout", ADMIN_KEY, null);
    assertThat(service.status()).isEqualTo(400); // the admin key names no session (and X-User-Id is required)
    assertThat(send("POST", "/api/auth/signout?everywhere=yes", ada, null).status()).isEqualTo(400);
    assertThat(send("GET", "/api/auth/me", ada, null).status()).isEqualTo(200);
  }

  /** Starts nothing: every workspace is a remote one that no request here reaches. */
  static final class RemoteBackend implements Backend {
    @Override
    public String name() {
      return "remote";
    }

    @Override
    public Instance start(Tenant tenant, Policy policy) {
      return new Instance.Remote("i-" + tenant.number(), "w-" + tenant.number(), URI.create("http://127.0.0.1:1"), "key");
    }

    @Override
    public void stop(Tenant tenant) {}

    @Override
    public void reset(Tenant tenant) {}

    @Override
    public void destroy(Tenant tenant) {}

    @Override
    public Map<String, Instance> reconcile(Map<String, Tenant> known) {
      return Map.of();
    }

    @Override
    public Set<String> running() {
      return Set.of();
    }

    @Override
    public void close() {}
  }
}
