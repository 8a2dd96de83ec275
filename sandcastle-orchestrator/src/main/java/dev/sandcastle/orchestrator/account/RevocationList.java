package dev.sandcastle.orchestrator.account;

import dev.sandcastle.orchestrator.auth.AuthSettings;
import dev.sandcastle.orchestrator.auth.Revocations;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signed-out sessions, in memory, so that checking a token costs no database query: the
 * {@code jti}s of tokens signed out one by one (loaded at start, each kept until its token has
 * expired) and, per account, the time before which its tokens were signed out everywhere (loaded
 * from the database the first time an account is seen, then updated on change).
 *
 * <p>The database is the truth; this is its cache. {@link #refresh()} prunes the rows of tokens
 * that have expired (with {@link AuthSettings#MAX_CLOCK_SKEW} to spare, as an expired token is
 * accepted that much longer) and takes in what other servers sharing the database recorded; it
 * runs at construction and, once {@link #start}ed, every {@link #REFRESH}, on its own daemon
 * thread. A revocation made here is in memory at once; one made by another server over the same
 * PostgreSQL is seen here within one refresh interval.
 *
 * <p>Thread-safe. {@link #revoked} answers from memory, except the first time it sees an account
 * (one query). Database failures of {@link #revoke} and {@link #invalidateBefore} propagate;
 * those of a periodic refresh are logged and retried at the next one.
 */
final class RevocationList implements Revocations, AutoCloseable {
  /** How often expired rows are pruned and other servers' revocations picked up. */
  static final Duration REFRESH = Duration.ofMinutes(1);
  private static final Logger log = LoggerFactory.getLogger(RevocationList.class);
  /** The value cached for an account that never signed out everywhere. */
  private static final Instant NEVER = Instant.MIN;

  private final RevocationRepository repository;
  private final InstantSource clock;
  private final Map<String, Instant> revoked = new ConcurrentHashMap<>();
  private final Map<String, Instant> validAfter = new ConcurrentHashMap<>();
  private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("session-revocations").daemon().factory());

  /** Loads the revocations (pruning expired ones first). */
  RevocationList(RevocationRepository repository, InstantSource clock) {
    this.repository = repository;
    this.clock = clock;
    refresh();
  }

  /** Refreshes every {@link #REFRESH} from now on, until {@link #close()}. */
  void start() {
    long period = REFRESH.toMillis();
    refresher.scheduleWithFixedDelay(this::refreshQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean revoked(String user, Optional<String> tokenId, Optional<Instant> issuedAt) {
    if (tokenId.isPresent() && revoked.containsKey(tokenId.get())) {
      return true;
    }
    Instant after = validAfter(user);
    if (after.equals(NEVER)) {
      return false;
    }
    // A token without iat cannot show it came after the account signed out everywhere.
    return issuedAt.map(at -> at.isBefore(after)).orElse(true);
  }

  /** Signs out one token: {@code jti} of {@code accountId}'s token that expires at {@code expiresAt}. */
  void revoke(String jti, String accountId, Instant expiresAt) {
    repository.revoke(jti, accountId, expiresAt, clock.instant());
    revoked.put(jti, expiresAt);
  }

  /**
   * Signs out every token of the account issued before {@code at}.
   *
   * @return whether the account exists
   */
  boolean invalidateBefore(String accountId, Instant at) {
    boolean exists = repository.invalidateBefore(accountId, at);
    if (exists) {
      validAfter.merge(accountId, at, RevocationList::later);
      // Every token signed out one by one was issued before now: the time covers them all.
      repository.forget(accountId).forEach(revoked::remove);
    }
    return exists;
  }

  /** How many of the account's tokens are signed out one by one (one query). */
  int signedOutOneByOne(String accountId) {
    return repository.countFor(accountId);
  }

  /** The time before which the account's tokens are refused; {@link Instant#MIN} when there is none. */
  Instant validAfter(String accountId) {
    Instant cached = validAfter.get(accountId);
    if (cached != null) {
      return cached;
    }
    Instant loaded = repository.validAfter(accountId).orElse(NEVER);
    return validAfter.merge(accountId, loaded, RevocationList::later);
  }

  /**
   * Prunes the rows (and entries) of tokens expired more than {@link AuthSettings#MAX_CLOCK_SKEW}
   * ago, then takes in every revocation in the database: tokens signed out and, for the accounts
   * cached here, sign-outs everywhere. Only adds: nothing revoked is ever forgotten before expiry.
   */
  void refresh() {
    Instant horizon = clock.instant().minus(AuthSettings.MAX_CLOCK_SKEW);
    int pruned = repository.prune(horizon);
    revoked.values().removeIf(expiry -> expiry.isBefore(horizon));
    revoked.putAll(repository.revokedExpiringAfter(horizon));
    repository.allValidAfter().forEach((account, at) -> validAfter.computeIfPresent(account, (id, cached) -> later(cached, at)));
    if (pruned > 0) {
      log.debug("pruned {} revoked sessions past their expiry", pruned);
    }
  }

  /** How many signed-out tokens are held in memory. */
  int size() {
    return revoked.size();
  }

  @Override
  public void close() {
    refresher.shutdownNow();
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      log.warn("cannot refresh the revoked sessions (retried in {}): {}", REFRESH, e.toString());
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
