package dev.sandcastle.orchestrator.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.TestClock;
import dev.sandcastle.orchestrator.audit.AuditEvent;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.audit.AuditQuery;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Authenticator;
import dev.sandcastle.orchestrator.auth.Principal;
import dev.sandcastle.orchestrator.db.DatabaseContract;
import dev.sandcastle.orchestrator.tenant.Caller;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Signing out: one session, every session of an account, by the account or an admin; what survives a restart. */
abstract class SessionRevocationContract extends DatabaseContract {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static final Caller CALLER = new Caller("", "req-1", "203.0.113.7", "test");

  /** Set in the middle of the real second at the start, so the authenticator's (real) clock accepts the tokens. */
  final TestClock clock = new TestClock(Instant.EPOCH);
  final List<AutoCloseable> opened = new ArrayList<>();
  HttpClient http;
  AuditLog audit;
  Account ada;

  @BeforeEach
  void signUp() {
    clock.set(Instant.now().truncatedTo(ChronoUnit.SECONDS).plusMillis(500));
    http = HttpClient.newHttpClient();
    audit = AuditLog.open(db);
    ada = start().signUp("ada@example.com", "Ada", "analytical-engine");
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened.reversed()) {
      c.close();
    }
    opened.clear();
    audit.close();
    http.close();
  }

  /** A server's account service over the test database, as it starts: revocations loaded from the database. */
  AccountService start() {
    AccountService service = new AccountService(new AccountRepository(db), new RevocationList(new RevocationRepository(db), clock),
        audit, new PasswordHasher(1000), KEY, true, AccountService.DEFAULT_SESSION_TTL, clock);
    opened.add(service);
    return service;
  }

  Authenticator authenticator(AccountService accounts) {
    return new Authenticator(AuthSettings.defaults(ADMIN_KEY).withSessionKey(KEY), http, accounts.revocations());
  }

  static Principal as(Authenticator auth, String token) {
    return auth.authenticate(Optional.of(token), Optional.empty());
  }

  static RevocationList list(AccountService accounts) {
    return (RevocationList) accounts.revocations();
  }

  /** Stops every service and reopens the database, as a restarted server would. */
  void restart() throws Exception {
    for (AutoCloseable c : opened.reversed()) {
      c.close();
    }
    opened.clear();
    audit.close();
    reopen();
    audit = AuditLog.open(db);
  }

  long revokedRows() {
    return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM revoked_sessions").mapTo(Long.class).one());
  }

  /** A session token as this server made them before tokens carried a jti (iat optional). */
  static String legacyToken(String account, Instant issued, boolean withIssueTime) throws Exception {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().claim("id", account).subject(account).claim("role", "admin")
        .issuer("sandcastle").expirationTime(Date.from(issued.plus(Duration.ofDays(7))));
    if (withIssueTime) {
      claims.issueTime(Date.from(issued));
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    jwt.sign(new MACSigner(KEY));
    return jwt.serialize();
  }

  @Test
  void aSignedOutTokenIsRefusedWhileAnotherSessionOfTheAccountStillWorks() {
    AccountService accounts = start();
    Authenticator auth = authenticator(accounts);
    String laptop = accounts.issue(ada).token();
    String phone = accounts.issue(ada).token();
    assertThat(as(auth, laptop).userId()).contains(ada.id());

    accounts.signOut(laptop, CALLER);

    assertThatThrownBy(() -> as(auth, laptop)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    // The admin API refuses it as well: 401, not 403.
    assertThatThrownBy(() -> auth.authenticateAdmin(Optional.of(laptop), Optional.empty())).isInstanceOf(Unauthorized.class);
    assertThat(as(auth, phone)).isEqualTo(new Principal.User(ada.id(), true));
    assertThat(auth.authenticateAdmin(Optional.of(phone), Optional.empty()).isAdmin()).isTrue();
    // Signing out twice (a retry) is no error.
    accounts.signOut(laptop, CALLER);
    assertThat(revokedRows()).isEqualTo(1);
  }

  @Test
  void pastAHundredSingleSignOutsASignOutCoversEverySessionAndTheSingleOnesAreForgotten() {
    AccountService accounts = start();
    Authenticator auth = authenticator(accounts);
    String kept = accounts.issue(ada).token();
    for (int i = 0; i < AccountService.MAX_SIGNED_OUT; i++) {
      accounts.signOut(accounts.issue(ada).token(), CALLER);
    }
    assertThat(revokedRows()).isEqualTo(AccountService.MAX_SIGNED_OUT);
    assertThat(as(auth, kept).userId()).as("one by one so far").contains(ada.id());

    accounts.signOut(accounts.issue(ada).token(), CALLER);

    assertThatThrownBy(() -> as(auth, kept)).isInstanceOf(Unauthorized.class);
    assertThat(revokedRows()).as("covered by the account's time, the single ones are gone").isZero();
    clock.advance(Duration.ofSeconds(2));
    assertThat(as(auth, accounts.issue(ada).token()).userId()).as("a later sign-in works").contains(ada.id());
  }

  @Test
  void signingOutEverywhereRefusesEverySessionUntilThenAndNotTheNextSignIn() {
    AccountService accounts = start();
    Authenticator auth = authenticator(accounts);
    Account bob = accounts.signUp("bob@example.com", "Bob", "bobs-password-1");
    String laptop = accounts.issue(ada).token();
    String phone = accounts.issue(ada).token();
    String bobs = accounts.issue(bob).token();

    accounts.signOutEverywhere(phone, CALLER);

    assertThatThrownBy(() -> as(auth, laptop)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    assertThatThrownBy(() -> as(auth, phone)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    assertThat(as(auth, bobs).userId()).contains(bob.id());
    // Signing in again within the same second (iat has whole seconds) gives a session that works.
    assertThat(as(auth, accounts.issue(ada).token()).userId()).contains(ada.id());
    clock.advance(Duration.ofSeconds(3));
    assertThat(as(auth, accounts.issue(ada).token()).userId()).contains(ada.id());
  }

  @Test
  void anAdministratorCanSignAnyAccountOutEverywhere() {
    AccountService accounts = start();
    Authenticator auth = authenticator(accounts);
    Account bob = accounts.signUp("bob@example.com", "Bob", "bobs-password-1");
    String bobs = accounts.issue(bob).token();
    String adas = accounts.issue(ada).token();

    accounts.revokeSessions(bob.id(), new Caller(ada.id(), "req-2", "203.0.113.7", "test"));

    assertThatThrownBy(() -> as(auth, bobs)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    assertThat(as(auth, adas).userId()).contains(ada.id());
    assertThatThrownBy(() -> accounts.revokeSessions("no-such-account", CALLER)).isInstanceOf(NotFound.class);
    audit.flush();
    List<AuditEvent> events = audit.query(AuditQuery.all().action(AuditEvent.ADMIN_ACTION));
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.userId()).isEqualTo(ada.id());
      assertThat(e.resourceType()).isEqualTo("account");
      assertThat(e.resourceId()).isEqualTo(bob.id());
      assertThat(e.detail()).containsEntry("operation", "sign_out_everywhere");
    });
  }

  @Test
  void signOutsAreAuditedWithTheSessionAndNeverTheToken() {
    AccountService accounts = start();
    String token = accounts.issue(ada).token();
    String other = accounts.issue(ada).token();

    accounts.signOut(token, CALLER);
    accounts.signOutEverywhere(other, CALLER);

    audit.flush();
    List<AuditEvent> events = audit.query(AuditQuery.all().action(AuditEvent.SIGN_OUT));
    assertThat(events).hasSize(2).allSatisfy(e -> {
      assertThat(e.userId()).isEqualTo(ada.id());
      assertThat(e.ipAddress()).isEqualTo("203.0.113.7");
      assertThat(e.requestId()).isEqualTo("req-1");
      assertThat(e.detail().toString()).doesNotContain(token).doesNotContain(other);
    });
    assertThat(events).extracting(e -> e.detail().get("everywhere")).containsExactlyInAnyOrder(true, false);
  }

  @Test
  void aRevocationSurvivesARestartOfTheService() throws Exception {
    AccountService before = start();
    String revoked = before.issue(ada).token();
    String kept = before.issue(ada).token();
    before.signOut(revoked, CALLER);
    restart();

    AccountService after = start();
    Authenticator auth = authenticator(after);

    assertThatThrownBy(() -> as(auth, revoked)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    assertThat(as(auth, kept).userId()).contains(ada.id());
  }

  @Test
  void aSignOutEverywhereSurvivesARestartOfTheService() throws Exception {
    AccountService before = start();
    String token = before.issue(ada).token();
    before.signOutEverywhere(token, CALLER);
    restart();

    Authenticator auth = authenticator(start());

    assertThatThrownBy(() -> as(auth, token)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
  }

  @Test
  void anotherServerOnTheSameDatabaseLearnsOfASignOutAtItsNextRefresh() {
    AccountService here = start();
    AccountService there = start();
    Authenticator thereAuth = authenticator(there);
    String token = here.issue(ada).token();
    String other = here.issue(ada).token();
    assertThat(as(thereAuth, other).userId()).contains(ada.id()); // "there" has seen (and cached) the account

    here.signOut(token, CALLER);
    list(there).refresh();

    assertThatThrownBy(() -> as(thereAuth, token)).isInstanceOf(Unauthorized.class);
    assertThat(as(thereAuth, other).userId()).contains(ada.id());

    here.signOutEverywhere(other, CALLER);
    list(there).refresh();

    assertThatThrownBy(() -> as(thereAuth, other)).isInstanceOf(Unauthorized.class);
  }

  @Test
  void rowsArePrunedOnceTheirTokensHaveExpiredWithTheClockSkewToSpare() {
    AccountService accounts = start();
    accounts.signOut(accounts.issue(ada).token(), CALLER); // expires in 7 days
    clock.advance(Duration.ofDays(6));
    accounts.signOut(accounts.issue(ada).token(), CALLER); // expires in 13 days
    RevocationList list = list(accounts);
    assertThat(revokedRows()).isEqualTo(2);

    clock.advance(Duration.ofDays(1).plusSeconds(60)); // the first expired a minute ago
    list.refresh();
    assertThat(revokedRows()).as("an expired token is accepted for the clock skew: its row stays").isEqualTo(2);

    clock.advance(AuthSettings.MAX_CLOCK_SKEW);
    list.refresh();
    assertThat(revokedRows()).isEqualTo(1);
    assertThat(list.size()).isEqualTo(1);

    clock.advance(Duration.ofDays(7));
    start(); // a server starting prunes too
    assertThat(revokedRows()).isZero();
  }

  @Test
  void tokensWithoutJtiAreAcceptedUntilTheyExpireButSigningOutEverywhereEndsThem() throws Exception {
    AccountService accounts = start();
    Authenticator auth = authenticator(accounts);
    String legacy = legacyToken(ada.id(), clock.instant().truncatedTo(ChronoUnit.SECONDS), true);
    String withoutIat = legacyToken(ada.id(), clock.instant().truncatedTo(ChronoUnit.SECONDS), false);
    assertThat(as(auth, legacy).userId()).contains(ada.id());
    assertThat(as(auth, withoutIat).userId()).contains(ada.id());

    assertThatThrownBy(() -> accounts.signOut(legacy, CALLER)).isInstanceOf(BadRequest.class).hasMessageContaining("everywhere");
    assertThat(as(auth, legacy).userId()).contains(ada.id());

    accounts.signOutEverywhere(legacy, CALLER);
    clock.advance(Duration.ofSeconds(5));

    assertThatThrownBy(() -> as(auth, legacy)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
    // A token without iat cannot show it came later: refused once the account signed out everywhere.
    assertThatThrownBy(() -> as(auth, withoutIat)).isInstanceOf(Unauthorized.class).hasMessageContaining("signed out");
  }

  @Test
  void onlyASessionTokenOfThisServerCanSignOut() throws Exception {
    AccountService accounts = start();
    String token = accounts.issue(ada).token();
    JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
    SignedJWT forged = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    forged.sign(new MACSigner("another-key-0123456789abcdef0123".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));

    assertThatThrownBy(() -> accounts.signOut(ADMIN_KEY, CALLER)).isInstanceOf(BadRequest.class).hasMessageContaining("session token");
    assertThatThrownBy(() -> accounts.signOut(forged.serialize(), CALLER)).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> accounts.signOutEverywhere("not.a.token", CALLER)).isInstanceOf(BadRequest.class);
    assertThat(revokedRows()).isZero();
  }
}
