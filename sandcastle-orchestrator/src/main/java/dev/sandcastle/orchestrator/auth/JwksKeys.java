package dev.sandcastle.orchestrator.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The public keys of a JSON Web Key Set, fetched on first use and cached. It is fetched again
 * when a token names a key it does not hold or when the set is older than {@link #MAX_AGE}, but
 * never more often than once per {@link #MIN_REFRESH} (once per {@link #RETRY_EMPTY} while no set
 * has loaded yet), so tokens with made-up key ids cannot make us hammer the URL. A failed fetch
 * keeps the keys already held. Only RSA keys of at least 2048 bits and EC keys on P-256/384/521
 * meant for signatures are kept; symmetric keys in the set are ignored.
 *
 * <p>Thread-safe; one fetch at a time, on the calling thread.
 */
final class JwksKeys {
  static final Duration MIN_REFRESH = Duration.ofMinutes(5);
  static final Duration RETRY_EMPTY = Duration.ofSeconds(10);
  static final Duration MAX_AGE = Duration.ofHours(1);
  private static final int MAX_BYTES = 512 * 1024;
  private static final Set<Curve> SIGNING_CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);

  private final HttpClient http;
  private final URI url;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile List<JWK> keys = List.of();
  private volatile Optional<Instant> loadedAt = Optional.empty();
  private Instant lastAttempt = Instant.MIN; // guarded by lock

  JwksKeys(HttpClient http, URI url, InstantSource clock) {
    this.http = http;
    this.url = url;
    this.clock = clock;
  }

  /**
   * The keys that may have signed a token with this algorithm and key id (any id when absent).
   *
   * @throws Unavailable when no key set could be fetched yet
   */
  List<JWK> candidates(JWSAlgorithm algorithm, Optional<String> keyId) {
    List<JWK> found = select(algorithm, keyId);
    boolean stale = loadedAt.map(at -> at.plus(MAX_AGE).isBefore(clock.instant())).orElse(true);
    if (found.isEmpty() || stale) {
      refresh();
      found = select(algorithm, keyId);
    }
    if (loadedAt.isEmpty()) {
      throw new Unavailable("the signing keys cannot be fetched; try again later");
    }
    return found;
  }

  private void refresh() {
    lock.lock();
    try {
      Instant now = clock.instant();
      Duration wait = loadedAt.isPresent() ? MIN_REFRESH : RETRY_EMPTY;
      if (now.isBefore(lastAttempt.plus(wait))) {
        return;
      }
      lastAttempt = now;
      Optional<List<JWK>> fetched = fetch();
      if (fetched.isPresent()) {
        keys = fetched.get();
        loadedAt = Optional.of(now);
      }
    } finally {
      lock.unlock();
    }
  }

  private Optional<List<JWK>> fetch() {
    try {
      HttpFetch.Answer answer = HttpFetch.get(http, url, Optional.empty(), MAX_BYTES);
      if (answer.status() != 200) {
        return Optional.empty();
      }
      List<JWK> usable = new ArrayList<>();
      for (JWK key : JWKSet.parse(new String(answer.body(), StandardCharsets.UTF_8)).getKeys()) {
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
          continue;
        }
        switch (key) {
          case RSAKey rsa when rsa.size() >= 2048 -> usable.add(rsa.toPublicJWK());
          case ECKey ec when SIGNING_CURVES.contains(ec.getCurve()) -> usable.add(ec.toPublicJWK());
          default -> { }
        }
      }
      return Optional.of(List.copyOf(usable));
    } catch (IOException | ParseException e) {
      return Optional.empty();
    }
  }

  private List<JWK> select(JWSAlgorithm algorithm, Optional<String> keyId) {
    List<JWK> selected = new ArrayList<>();
    for (JWK key : keys) {
      boolean typeFits = switch (key) {
        case RSAKey _ -> JWSAlgorithm.Family.RSA.contains(algorithm);
        case ECKey ec -> JWSAlgorithm.Family.EC.contains(algorithm)
            && Curve.forJWSAlgorithm(algorithm).contains(ec.getCurve());
        default -> false;
      };
      boolean algorithmFits = key.getAlgorithm() == null || key.getAlgorithm().getName().equals(algorithm.getName());
      boolean idFits = keyId.map(id -> id.equals(key.getKeyID())).orElse(true);
      if (typeFits && algorithmFits && idFits) {
        selected.add(key);
      }
    }
    return selected;
  }
}
