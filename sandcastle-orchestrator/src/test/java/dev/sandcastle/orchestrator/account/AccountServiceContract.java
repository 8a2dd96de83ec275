package dev.sandcastle.orchestrator.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Authenticator;
import dev.sandcastle.orchestrator.auth.Principal;
import dev.sandcastle.orchestrator.db.DatabaseContract;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

abstract class AccountServiceContract extends DatabaseContract {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  @TempDir
  Path dir;
  AuditLog audit;
  final List<AutoCloseable> opened = new ArrayList<>();

  @BeforeEach
  void openAudit() {
    audit = AuditLog.open(db);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened.reversed()) {
      c.close();
    }
    opened.clear();
    audit.close();
  }

  AccountService service(PasswordHasher hasher, boolean allowSignup) {
    AccountService service = new AccountService(new AccountRepository(db),
        new RevocationList(new RevocationRepository(db), Clock.systemUTC()), audit, hasher, KEY, allowSignup,
        AccountService.DEFAULT_SESSION_TTL, Clock.systemUTC());
    opened.add(service);
    return service;
  }

  AccountService fast() {
    return service(new PasswordHasher(1000), true);
  }

  @Test
  void theFirstAccountIsAnAdministratorAndLaterOnesAreUsers() {
    AccountService accounts = fast();

    Account first = accounts.signUp("  Ada@Example.COM ", " Ada Lovelace ", "analytical-engine");
    Account second = accounts.signUp("bob@example.com", "Bob", "bobs-password-1");

    assertThat(first.role()).isEqualTo(Account.Role.ADMIN);
    assertThat(first.email()).isEqualTo("ada@example.com");
    assertThat(first.name()).isEqualTo("Ada Lovelace");
    assertThat(second.role()).isEqualTo(Account.Role.USER);
    assertThat(first.id()).isNotEqualTo(second.id());
    assertThat(accounts.find(first.id())).contains(first);
    assertThat(accounts.find("nobody")).isEmpty();
  }

  @Test
  void anEmailCanHaveOneAccountWhateverItsCase() {
    AccountService accounts = fast();
    accounts.signUp("ada@example.com", "Ada", "analytical-engine");

    assertThatThrownBy(() -> accounts.signUp("ADA@example.com", "Other Ada", "another-password"))
        .isInstanceOf(Conflict.class).hasMessageContaining("exists already");
  }

  @Test
  void invalidSignUpsSayWhatIsWrong() {
    AccountService accounts = fast();

    assertThatThrownBy(() -> accounts.signUp("not-an-email", "Ada", "analytical-engine"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("email");
    assertThatThrownBy(() -> accounts.signUp("a b@example.com", "Ada", "analytical-engine"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("email");
    assertThatThrownBy(() -> accounts.signUp("ada@example.com", "Ada", "too-short"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("at least 10 characters");
    assertThatThrownBy(() -> accounts.signUp("ada@example.com", "x".repeat(257), "analytical-engine"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("256");
    assertThatThrownBy(() -> accounts.signUp("ada@example.com", "  ", "analytical-engine"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("name");
    assertThat(accounts.signUp("ada@example.com", "x".repeat(256), "analytical-engine").name()).hasSize(256);
  }

  @Test
  void signingInNeedsTheRightPasswordAndAnyCaseOfTheEmail() {
    AccountService accounts = fast();
    Account ada = accounts.signUp("ada@example.com", "Ada", "analytical-engine");

    assertThat(accounts.signIn("ADA@example.com ", "analytical-engine")).isEqualTo(ada);
    assertThatThrownBy(() -> accounts.signIn("ada@example.com", "Analytical-engine")).isInstanceOf(Unauthorized.class);
  }

  @Test
  void anUnknownEmailAndAWrongPasswordFailAlikeAndTakeAsLong() {
    AccountService accounts = service(new PasswordHasher(), true); // the real work factor: timing is the point
    accounts.signUp("ada@example.com", "Ada", "analytical-engine");

    Throwable unknown = catchUnauthorized(() -> accounts.signIn("eve@example.com", "analytical-engine"));
    Throwable wrong = catchUnauthorized(() -> accounts.signIn("ada@example.com", "a-wrong-password"));
    assertThat(unknown.getMessage()).isEqualTo(wrong.getMessage()).isEqualTo("the email or password is wrong");

    long unknownNanos = Long.MAX_VALUE;
    long wrongNanos = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      unknownNanos = Math.min(unknownNanos, timed(() -> accounts.signIn("eve@example.com", "analytical-engine")));
      wrongNanos = Math.min(wrongNanos, timed(() -> accounts.signIn("ada@example.com", "a-wrong-password")));
    }
    // Both derive a PBKDF2 hash; without the dummy hash an unknown email would answer in a millisecond.
    assertThat((double) unknownNanos / wrongNanos).isBetween(0.5, 2.0);
  }

  @Test
  void withSignUpClosedOnlyTheFirstAccountCanBeMade() {
    AccountService accounts = service(new PasswordHasher(1000), false);

    Account first = accounts.signUp("ada@example.com", "Ada", "analytical-engine");

    assertThat(first.admin()).isTrue();
    assertThatThrownBy(() -> accounts.signUp("bob@example.com", "Bob", "bobs-password-1"))
        .isInstanceOf(Forbidden.class).hasMessageContaining("sign-up is closed");
    // A closed sign-up does not tell which emails have accounts.
    assertThatThrownBy(() -> accounts.signUp("ada@example.com", "Ada", "analytical-engine")).isInstanceOf(Forbidden.class);
  }

  @Test
  void aPasswordStoredWithFewerIterationsIsRehashedAtSignIn() {
    Account ada = service(new PasswordHasher(1000), true).signUp("ada@example.com", "Ada", "analytical-engine");
    AccountService stronger = service(new PasswordHasher(2000), true);

    assertThat(stronger.signIn("ada@example.com", "analytical-engine")).isEqualTo(ada);

    String stored = db.jdbi().withHandle(h -> h.createQuery("SELECT password_hash FROM accounts WHERE id = :id")
        .bind("id", ada.id()).mapTo(String.class).one());
    assertThat(stored).startsWith("pbkdf2-sha256$2000$");
    assertThat(stronger.signIn("ada@example.com", "analytical-engine")).isEqualTo(ada);
  }

  @Test
  void sessionTokensSignInToTheOrchestratorWithTheAccountsRole() throws Exception {
    AccountService accounts = fast();
    Account ada = accounts.signUp("ada@example.com", "Ada", "analytical-engine");
    Account bob = accounts.signUp("bob@example.com", "Bob", "bobs-password-1");

    Session session = accounts.issue(ada);
    SignedJWT jwt = SignedJWT.parse(session.token());
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("HS256");
    assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("sandcastle");
    assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo(ada.id());
    assertThat(jwt.getJWTClaimsSet().getClaim("id")).isEqualTo(ada.id());
    assertThat(jwt.getJWTClaimsSet().getClaim("email")).isEqualTo("ada@example.com");
    assertThat(jwt.getJWTClaimsSet().getClaim("role")).isEqualTo("admin");
    // jti: 128 random bits, base64url; a new one for every session
    assertThat(java.util.Base64.getUrlDecoder().decode(jwt.getJWTClaimsSet().getJWTID())).hasSize(16);
    assertThat(SignedJWT.parse(accounts.issue(ada).token()).getJWTClaimsSet().getJWTID()).isNotEqualTo(jwt.getJWTClaimsSet().getJWTID());
    assertThat(Duration.between(jwt.getJWTClaimsSet().getIssueTime().toInstant(), session.expiresAt())).isEqualTo(Duration.ofDays(7));
    assertThat(session.expiresAt()).isEqualTo(jwt.getJWTClaimsSet().getExpirationTime().toInstant());
    assertThat(session.toString()).doesNotContain(session.token());

    try (HttpClient http = HttpClient.newHttpClient()) {
      Authenticator auth = new Authenticator(AuthSettings.defaults(ADMIN_KEY).withSessionKey(accounts.sessionKey()), http);
      assertThat(auth.authenticate(Optional.of(session.token()), Optional.empty())).isEqualTo(new Principal.User(ada.id(), true));
      assertThat(auth.authenticate(Optional.of(accounts.issue(bob).token()), Optional.empty())).isEqualTo(new Principal.User(bob.id(), false));
    }
  }

  @Test
  void theSessionKeyIsMadeOnceOwnerOnlyAndKeptAcrossRestarts() throws Exception {
    Path file = dir.resolve("session.key");
    AccountService one = new AccountService(db, audit, file, true, AccountService.DEFAULT_SESSION_TTL);
    AccountService two = new AccountService(db, audit, file, true, AccountService.DEFAULT_SESSION_TTL);
    opened.add(one);
    opened.add(two);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(one.sessionKey()).hasSize(32).isEqualTo(two.sessionKey());
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }
  }

  @Test
  void concurrentFirstSignUpsMakeExactlyOneAdministrator() throws Exception {
    AccountService accounts = fast();
    List<Callable<Account>> signUps = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String email = "user" + i + "@example.com";
      signUps.add(() -> accounts.signUp(email, "User", "password-" + email));
    }
    List<Account> made = new ArrayList<>();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Future<Account> result : pool.invokeAll(signUps)) {
        made.add(result.get());
      }
    }

    assertThat(made).filteredOn(Account::admin).hasSize(1);
    assertThat(made).hasSize(6);
  }

  private static Throwable catchUnauthorized(Runnable attempt) {
    try {
      attempt.run();
    } catch (Unauthorized e) {
      return e;
    }
    throw new AssertionError("the sign-in succeeded");
  }

  private static long timed(Runnable attempt) {
    long start = System.nanoTime();
    catchUnauthorized(attempt);
    return System.nanoTime() - start;
  }

}
