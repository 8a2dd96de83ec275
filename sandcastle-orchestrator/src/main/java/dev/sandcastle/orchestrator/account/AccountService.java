package dev.sandcastle.orchestrator.account;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.db.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Local accounts: sign-up, sign-in and the session tokens that prove them. The first account
 * becomes an administrator, later ones users; with sign-up closed only the first one can be made.
 *
 * <p>Session tokens are HS256 JWTs signed with a random 32-byte key kept in a file (created with
 * mode 0600 on first use), with claims {@code id} and {@code sub} (the account id), {@code email},
 * {@code role}, {@code iss} ({@value AuthSettings#SESSION_ISSUER}), {@code iat} and {@code exp};
 * give {@link #sessionKey()} to {@link AuthSettings#withSessionKey} so the orchestrator accepts them.
 *
 * <p>Thread-safe. Sign-up and sign-in hash a password (a noticeable fraction of a second each, by
 * design): run them on virtual threads. Failures: {@link BadRequest} for an invalid email, name or
 * password; {@link Conflict} for an email in use; {@link Forbidden} when sign-up is closed;
 * {@link Unauthorized} for a failed sign-in, with one message and about the same time whether the
 * email is unknown or the password wrong. Messages never contain a password.
 */
public final class AccountService {
  /** Sessions last this long unless configured otherwise. */
  public static final Duration DEFAULT_SESSION_TTL = Duration.ofDays(7);
  static final int MIN_PASSWORD = 10;
  static final int MAX_PASSWORD = 1024;
  static final int MAX_EMAIL = 320;
  static final int MAX_NAME = 256;
  private static final Pattern EMAIL = Pattern.compile("[^\\s@\\p{Cntrl}]+@[^\\s@\\p{Cntrl}]+\\.[^\\s@\\p{Cntrl}.]+");
  private static final String SIGN_IN_FAILED = "the email or password is wrong";

  private final AccountRepository accounts;
  private final PasswordHasher hasher;
  private final byte[] key;
  private final boolean allowSignup;
  private final Duration sessionTtl;
  private final Clock clock;
  private final String dummyHash;

  /**
   * @param sessionKeyFile where the session key is kept (created when missing)
   * @param allowSignup false: only the first account can be created, later sign-ups are {@link Forbidden}
   * @param sessionTtl how long a session token is accepted, 1 minute to 1 year
   * @throws dev.sandcastle.core.errors.Unavailable when the key file cannot be read or created
   */
  public AccountService(Database database, Path sessionKeyFile, boolean allowSignup, Duration sessionTtl) {
    this(new AccountRepository(database), new PasswordHasher(), SessionKeyFile.load(sessionKeyFile), allowSignup, sessionTtl,
        Clock.systemUTC());
  }

  AccountService(AccountRepository accounts, PasswordHasher hasher, byte[] key, boolean allowSignup, Duration sessionTtl, Clock clock) {
    if (sessionTtl.compareTo(Duration.ofMinutes(1)) < 0 || sessionTtl.compareTo(Duration.ofDays(366)) > 0) {
      throw new IllegalArgumentException("the session lifetime must be between 1 minute and 1 year");
    }
    this.accounts = accounts;
    this.hasher = hasher;
    this.key = key.clone();
    this.allowSignup = allowSignup;
    this.sessionTtl = sessionTtl;
    this.clock = clock;
    this.dummyHash = hasher.hash("not a password anyone has: " + java.util.UUID.randomUUID());
  }

  /**
   * Creates an account; the first one is an administrator.
   *
   * @throws BadRequest when the email, name or password is not acceptable (the message says why)
   * @throws Conflict when an account with this email exists
   * @throws Forbidden when sign-up is closed and this would not be the first account
   */
  public Account signUp(String email, String name, String password) {
    String address = normalisedEmail(email);
    if (address.isEmpty() || address.length() > MAX_EMAIL || !EMAIL.matcher(address).matches()) {
      throw new BadRequest("the email address is not valid");
    }
    String shown = name == null ? "" : name.strip();
    if (shown.isEmpty() || shown.length() > MAX_NAME || shown.chars().anyMatch(Character::isISOControl)) {
      throw new BadRequest("the name must be 1 to " + MAX_NAME + " characters without control characters");
    }
    if (password == null || password.length() < MIN_PASSWORD) {
      throw new BadRequest("the password must be at least " + MIN_PASSWORD + " characters");
    }
    if (password.length() > MAX_PASSWORD) {
      throw new BadRequest("the password must be at most " + MAX_PASSWORD + " characters");
    }
    String hash = hasher.hash(password);
    return accounts.insert(address, shown, hash, clock.instant(), !allowSignup)
        .orElseThrow(() -> new Forbidden("sign-up is closed: ask an administrator for an account"));
  }

  /**
   * The account with this email and password. Rehashes the password when it was stored with
   * fewer iterations than are used now.
   *
   * @throws Unauthorized when there is no such account or the password is wrong (indistinguishable)
   */
  public Account signIn(String email, String password) {
    Optional<AccountRepository.Stored> stored = accounts.findByEmail(normalisedEmail(email));
    String candidate = password == null ? "" : password;
    if (candidate.length() > MAX_PASSWORD) {
      throw new Unauthorized(SIGN_IN_FAILED);
    }
    // Without an account, verify against a dummy hash anyway, so the answer takes as long.
    boolean matches = hasher.verify(candidate, stored.map(AccountRepository.Stored::passwordHash).orElse(dummyHash));
    if (stored.isEmpty() || !matches) {
      throw new Unauthorized(SIGN_IN_FAILED);
    }
    Account account = stored.get().account();
    if (hasher.needsRehash(stored.get().passwordHash())) {
      accounts.updatePasswordHash(account.id(), hasher.hash(candidate));
    }
    return account;
  }

  /** The account with this id, if there is one. */
  /** Accounts in the order they were made (for the admin dashboard); {@code limit} 1-1000. */
  public java.util.List<Account> list(int limit, int offset) {
    if (limit < 1 || limit > 1000 || offset < 0) {
      throw new dev.sandcastle.core.errors.BadRequest("limit must be 1-1000 and offset at least 0");
    }
    return accounts.list(limit, offset);
  }

  public long count() {
    return accounts.count();
  }

  public Optional<Account> find(String id) {
    return accounts.find(id);
  }

  /** A new session token for {@code account}, valid for the configured lifetime. */
  public Session issue(Account account) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant expires = now.plus(sessionTtl);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .claim("id", account.id())
        .subject(account.id())
        .claim("email", account.email())
        .claim("role", account.role().wire())
        .issuer(AuthSettings.SESSION_ISSUER)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(expires))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new MACSigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a session token", e);
    }
    return new Session(jwt.serialize(), expires, account);
  }

  /** A copy of the key session tokens are signed with, for {@link AuthSettings#withSessionKey}. */
  public byte[] sessionKey() {
    return key.clone();
  }

  private static String normalisedEmail(String email) {
    return email == null ? "" : email.strip().toLowerCase(Locale.ROOT);
  }
}
