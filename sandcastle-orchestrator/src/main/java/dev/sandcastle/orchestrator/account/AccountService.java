package dev.sandcastle.orchestrator.account;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.orchestrator.audit.AuditEvent;
import dev.sandcastle.orchestrator.audit.AuditLog;
import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Revocations;
import dev.sandcastle.orchestrator.db.Database;
import dev.sandcastle.orchestrator.tenant.Caller;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Local accounts: sign-up, sign-in and the session tokens that prove them. The first account
 * becomes an administrator, later ones users; with sign-up closed only the first one can be made.
 *
 * <p>Session tokens are HS256 JWTs signed with a random 32-byte key kept in a file (created with
 * mode 0600 on first use), with claims {@code id} and {@code sub} (the account id), {@code email},
 * {@code role}, {@code iss} ({@value AuthSettings#SESSION_ISSUER}), {@code jti} (128 random bits),
 * {@code iat} and {@code exp}; give {@link #sessionKey()} to {@link AuthSettings#withSessionKey}
 * and {@link #revocations()} to the {@link dev.sandcastle.orchestrator.auth.Authenticator} so the
 * orchestrator accepts them until they expire or are signed out.
 *
 * <p>Signing out: {@link #signOut} revokes one token by its {@code jti} (remembered until the token
 * expires); {@link #signOutEverywhere} and {@link #revokeSessions} refuse every token of an account
 * issued until then. Tokens issued before sessions carried a {@code jti} (they all carry
 * {@code iat}) stay valid until they expire unless their account signs out everywhere.
 *
 * <p>Thread-safe. Sign-up and sign-in hash a password (a noticeable fraction of a second each, by
 * design): run them on virtual threads. Failures: {@link BadRequest} for an invalid email, name or
 * password, or a sign-out with a token that is not a session token of this server (or predates
 * {@code jti}); {@link Conflict} for an email in use; {@link Forbidden} when sign-up is closed;
 * {@link Unauthorized} for a failed sign-in, with one message and about the same time whether the
 * email is unknown or the password wrong; {@link NotFound} for an admin's sign-out of an account
 * that does not exist. Messages never contain a password or a token. {@link #close()} stops the
 * background refresh of the revocations.
 */
public final class AccountService implements AutoCloseable {
  /** Sessions last this long unless configured otherwise. */
  public static final Duration DEFAULT_SESSION_TTL = Duration.ofDays(7);
  static final int MIN_PASSWORD = 10;
  static final int MAX_PASSWORD = 1024;
  static final int MAX_EMAIL = 320;
  static final int MAX_NAME = 256;
  /** The longest {@code jti} recorded (ours have 22 characters). */
  static final int MAX_TOKEN_ID = 64;
  /** Sessions of one account signed out one by one and still remembered; past it a sign-out is everywhere. */
  static final int MAX_SIGNED_OUT = 100;
  private static final Pattern EMAIL = Pattern.compile("[^\\s@\\p{Cntrl}]+@[^\\s@\\p{Cntrl}]+\\.[^\\s@\\p{Cntrl}.]+");
  private static final String SIGN_IN_FAILED = "the email or password is wrong";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AccountRepository accounts;
  private final RevocationList revocations;
  private final AuditLog audit;
  private final PasswordHasher hasher;
  private final byte[] key;
  private final boolean allowSignup;
  private final Duration sessionTtl;
  private final Clock clock;
  private final String dummyHash;

  /**
   * Loads the revoked sessions (pruning those past their expiry) and starts refreshing them every
   * {@link RevocationList#REFRESH} on a daemon thread, until {@link #close()}.
   *
   * @param audit where sign-outs are recorded
   * @param sessionKeyFile where the session key is kept (created when missing)
   * @param allowSignup false: only the first account can be created, later sign-ups are {@link Forbidden}
   * @param sessionTtl how long a session token is accepted, 1 minute to 1 year
   * @throws dev.sandcastle.core.errors.Unavailable when the key file cannot be read or created
   */
  public AccountService(Database database, AuditLog audit, Path sessionKeyFile, boolean allowSignup, Duration sessionTtl) {
    this(new AccountRepository(database), new RevocationList(new RevocationRepository(database), Clock.systemUTC()), audit,
        new PasswordHasher(), SessionKeyFile.load(sessionKeyFile), allowSignup, sessionTtl, Clock.systemUTC());
    revocations.start();
  }

  AccountService(AccountRepository accounts, RevocationList revocations, AuditLog audit, PasswordHasher hasher, byte[] key,
      boolean allowSignup, Duration sessionTtl, Clock clock) {
    if (sessionTtl.compareTo(Duration.ofMinutes(1)) < 0 || sessionTtl.compareTo(Duration.ofDays(366)) > 0) {
      throw new IllegalArgumentException("the session lifetime must be between 1 minute and 1 year");
    }
    this.accounts = accounts;
    this.revocations = revocations;
    this.audit = audit;
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

  /** A new session token for {@code account}, valid for the configured lifetime unless signed out. */
  public Session issue(Account account) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant expires = now.plus(sessionTtl);
    // iat has whole seconds; a sign-out everywhere refuses tokens issued before the second after it.
    // A token issued after it within that second gets that second as its iat, so it is not refused.
    Instant validAfter = revocations.validAfter(account.id());
    Instant issued = now.isBefore(validAfter) ? validAfter : now;
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .claim("id", account.id())
        .subject(account.id())
        .claim("email", account.email())
        .claim("role", account.role().wire())
        .issuer(AuthSettings.SESSION_ISSUER)
        .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id))
        .issueTime(Date.from(issued))
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

  /** Which session tokens have been signed out, for the {@link dev.sandcastle.orchestrator.auth.Authenticator}. */
  public Revocations revocations() {
    return revocations;
  }

  /**
   * Signs out the session of this token: it is refused from now on, here at once and on other
   * servers sharing the database within {@link RevocationList#REFRESH}. Audited as
   * {@code sign_out}. Signing out a token twice is no error.
   *
   * @param token a session token of this server (the caller's own: it authenticated the request)
   * @throws BadRequest when the token is not a session token of this server, or was issued before
   *     sessions could be signed out one by one (it has no {@code jti})
   */
  public void signOut(String token, Caller caller) {
    JWTClaimsSet claims = ownClaims(token);
    String tokenId = claims.getJWTID();
    if (tokenId == null || tokenId.isEmpty() || tokenId.length() > MAX_TOKEN_ID) {
      throw new BadRequest("this session was made before sessions could be signed out one by one: sign out everywhere instead,"
          + " or let it expire");
    }
    String account = claims.getSubject();
    if (revocations.signedOutOneByOne(account) >= MAX_SIGNED_OUT) {
      // Each signed-out token is remembered (and held in memory) until it expires; an account
      // that signs in and out in a loop would grow that without bound. Past the cap, this sign-out
      // covers every session of the account, and the single ones are forgotten.
      invalidate(account);
      audit.record(AuditEvent.builder(AuditEvent.SIGN_OUT).user(account).request(caller.requestId())
          .client(caller.ipAddress(), caller.userAgent()).resource("account", account)
          .detail(Map.of("everywhere", true, "session", tokenId, "reason", "more than " + MAX_SIGNED_OUT
              + " sessions signed out one by one")).status(204).build());
      return;
    }
    revocations.revoke(tokenId, account, claims.getExpirationTime().toInstant());
    audit.record(AuditEvent.builder(AuditEvent.SIGN_OUT).user(account).request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent()).resource("account", account)
        .detail(Map.of("everywhere", false, "session", tokenId)).status(204).build());
  }

  /**
   * Signs out every session of this token's account, this one included: tokens issued until now
   * are refused. Audited as {@code sign_out}.
   *
   * @throws BadRequest when the token is not a session token of this server
   * @throws NotFound when its account no longer exists
   */
  public void signOutEverywhere(String token, Caller caller) {
    String account = ownClaims(token).getSubject();
    invalidate(account);
    audit.record(AuditEvent.builder(AuditEvent.SIGN_OUT).user(account).request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent()).resource("account", account)
        .detail(Map.of("everywhere", true)).status(204).build());
  }

  /**
   * An administrator signs an account out everywhere: every session token issued until now is
   * refused. Audited as {@code admin_action} (operation {@code sign_out_everywhere}).
   *
   * @throws NotFound when there is no such account
   */
  public void revokeSessions(String accountId, Caller caller) {
    invalidate(accountId);
    audit.record(AuditEvent.builder(AuditEvent.ADMIN_ACTION).user(caller.userId()).request(caller.requestId())
        .client(caller.ipAddress(), caller.userAgent()).resource("account", accountId)
        .detail(Map.of("operation", "sign_out_everywhere")).status(204).build());
  }

  @Override
  public void close() {
    revocations.close();
  }

  /** Refuses the account's tokens issued until the end of the current second (iat has whole seconds). */
  private void invalidate(String accountId) {
    Instant after = clock.instant().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    if (!revocations.invalidateBefore(accountId, after)) {
      throw new NotFound("there is no account with this id");
    }
  }

  /** The claims of one of our session tokens, its signature and issuer checked. */
  private JWTClaimsSet ownClaims(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token == null ? "" : token);
      if (JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) && jwt.verify(new MACVerifier(key))) {
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        if (AuthSettings.SESSION_ISSUER.equals(claims.getIssuer()) && claims.getSubject() != null
            && claims.getExpirationTime() != null) {
          return claims;
        }
      }
    } catch (java.text.ParseException | JOSEException e) {
      // not ours: answered below
    }
    throw new BadRequest("signing out needs a session token of this server (from sign-in) as the Bearer token");
  }

  private static String normalisedEmail(String email) {
    return email == null ? "" : email.strip().toLowerCase(Locale.ROOT);
  }
}
