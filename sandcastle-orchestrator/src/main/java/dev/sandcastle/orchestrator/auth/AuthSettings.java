package dev.sandcastle.orchestrator.auth;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * How the orchestrator checks who is calling. Immutable; validated on construction (an invalid
 * value fails with {@link IllegalArgumentException} naming the setting, never its value).
 * {@link #toString()} hides the secrets.
 *
 * <p>User tokens are verified locally when {@code webuiSecret} or {@code jwksUrl} is set;
 * otherwise, when {@code webuiUrl} is set, by asking Open WebUI (the upstream "callback" mode);
 * otherwise only the admin key is accepted.
 *
 * @param adminKey the orchestrator's admin/service API key, at least 16 characters
 * @param webuiSecret Open WebUI's {@code WEBUI_SECRET_KEY}, to verify its HS256 tokens (any length, as Open WebUI allows)
 * @param jwksUrl an http(s) URL of a JSON Web Key Set, to verify RS256/ES256 tokens
 * @param algorithms the JWS algorithms accepted, e.g. {@link #DEFAULT_ALGORITHMS}; names from
 *     {@link #SUPPORTED_ALGORITHMS}, case-insensitive; {@code none} is refused
 * @param clockSkew tolerance when checking {@code exp} and {@code nbf}, 0-5 minutes
 * @param webuiUrl Open WebUI's base URL (http or https), for the callback mode
 * @param callbackTtl how long a token Open WebUI accepted is trusted without asking again, 0-1 hour
 * @param sessionKey the key of this server's own sign-in sessions (at least 32 bytes): HS256 tokens
 *     signed with it, issued by {@value #SESSION_ISSUER} and carrying {@code exp}, are accepted
 *     whatever the other settings say; copied on the way in and out
 * @param issuers when not empty, a token verified here (with {@code webuiSecret} or the JWKS) must
 *     name one of these as its {@code iss}, compared exactly; at most {@value #MAX_ACCEPTED} values
 *     of 1-{@value #MAX_CLAIM_VALUE} printable characters; needs {@code webuiSecret} or {@code jwksUrl}
 * @param audiences when not empty, such a token's {@code aud} (a string or an array) must contain
 *     one of these; the same limits as {@code issuers}
 */
public record AuthSettings(
    String adminKey,
    Optional<String> webuiSecret,
    Optional<URI> jwksUrl,
    Set<String> algorithms,
    Duration clockSkew,
    Optional<URI> webuiUrl,
    Duration callbackTtl,
    Optional<byte[]> sessionKey,
    Set<String> issuers,
    Set<String> audiences) {

  /** Algorithms accepted unless configured otherwise. */
  public static final Set<String> DEFAULT_ALGORITHMS = Set.of("HS256", "RS256", "ES256");

  /** Every algorithm that may be configured (HMAC with the secret; RSA and EC with JWKS keys). */
  public static final Set<String> SUPPORTED_ALGORITHMS = Set.of(
      "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

  /** Tolerance for clocks that disagree, unless configured otherwise. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
  /** The largest tolerance allowed: how long past its expiry a token may still be accepted. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
  /** How long Open WebUI's answer about a token is trusted, unless configured otherwise (as upstream). */
  public static final Duration DEFAULT_CALLBACK_TTL = Duration.ofSeconds(60);

  /** The {@code iss} of this server's own session tokens. */
  public static final String SESSION_ISSUER = "sandcastle";
  /** The shortest session key accepted: the output size of HS256. */
  public static final int MIN_SESSION_KEY_BYTES = 32;
  /** The most issuers, and the most audiences, that may be configured. */
  public static final int MAX_ACCEPTED = 64;
  /** The longest issuer or audience that may be configured. */
  public static final int MAX_CLAIM_VALUE = 1024;

  public AuthSettings {
    if (adminKey == null || adminKey.length() < 16) {
      throw new IllegalArgumentException("the admin key must be at least 16 characters");
    }
    if (adminKey.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new IllegalArgumentException("the admin key must be printable ASCII without spaces");
    }
    if (webuiSecret == null || webuiSecret.filter(String::isEmpty).isPresent()) {
      throw new IllegalArgumentException("the Open WebUI secret key, when set, must not be empty");
    }
    checkUrl(jwksUrl, "JWKS URL");
    checkUrl(webuiUrl, "Open WebUI URL");
    if (algorithms == null || algorithms.isEmpty()) {
      throw new IllegalArgumentException("at least one JWT algorithm must be allowed");
    }
    Set<String> names = new LinkedHashSet<>();
    for (String name : algorithms) {
      String upper = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
      if (upper.equals("NONE")) {
        throw new IllegalArgumentException("the JWT algorithm 'none' can never be allowed");
      }
      if (!SUPPORTED_ALGORITHMS.contains(upper)) {
        throw new IllegalArgumentException("unsupported JWT algorithm; supported: " + String.join(", ", SUPPORTED_ALGORITHMS.stream().sorted().toList()));
      }
      names.add(upper);
    }
    algorithms = Set.copyOf(names);
    if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
      throw new IllegalArgumentException("the clock skew must be between 0 and 5 minutes");
    }
    if (callbackTtl == null || callbackTtl.isNegative() || callbackTtl.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("the callback cache time must be between 0 and 1 hour");
    }
    if (sessionKey == null || sessionKey.filter(key -> key.length < MIN_SESSION_KEY_BYTES).isPresent()) {
      throw new IllegalArgumentException("the session key, when set, must be at least " + MIN_SESSION_KEY_BYTES + " bytes");
    }
    sessionKey = sessionKey.map(byte[]::clone);
    issuers = accepted(issuers, "issuer");
    audiences = accepted(audiences, "audience");
    if ((!issuers.isEmpty() || !audiences.isEmpty()) && webuiSecret.isEmpty() && jwksUrl.isEmpty()) {
      throw new IllegalArgumentException("accepted JWT issuers and audiences apply to tokens verified here:"
          + " they need the Open WebUI secret key or a JWKS URL");
    }
  }

  /** Without a session key of our own, accepting any issuer and audience. */
  public AuthSettings(String adminKey, Optional<String> webuiSecret, Optional<URI> jwksUrl, Set<String> algorithms, Duration clockSkew,
      Optional<URI> webuiUrl, Duration callbackTtl) {
    this(adminKey, webuiSecret, jwksUrl, algorithms, clockSkew, webuiUrl, callbackTtl, Optional.empty(), Set.of(), Set.of());
  }

  /** These settings, also accepting this server's own session tokens signed with {@code key}. */
  public AuthSettings withSessionKey(byte[] key) {
    return new AuthSettings(adminKey, webuiSecret, jwksUrl, algorithms, clockSkew, webuiUrl, callbackTtl, Optional.of(key), issuers,
        audiences);
  }

  /** These settings, accepting tokens verified here only from these issuers ({@code iss}); empty: from any. */
  public AuthSettings withIssuers(Set<String> accepted) {
    return new AuthSettings(adminKey, webuiSecret, jwksUrl, algorithms, clockSkew, webuiUrl, callbackTtl, sessionKey, accepted, audiences);
  }

  /** These settings, accepting tokens verified here only for one of these audiences ({@code aud}); empty: for any. */
  public AuthSettings withAudiences(Set<String> accepted) {
    return new AuthSettings(adminKey, webuiSecret, jwksUrl, algorithms, clockSkew, webuiUrl, callbackTtl, sessionKey, issuers, accepted);
  }

  /**
   * Whether a JWKS is trusted without any check of who issued a token or for whom: any token its
   * keys signed is accepted for whatever user it names. Worth a warning at start: a JWKS is often
   * an identity provider's, whose keys sign tokens for many applications.
   */
  public boolean trustsAnyJwksToken() {
    return jwksUrl.isPresent() && issuers.isEmpty() && audiences.isEmpty();
  }

  /** A copy of the session key, if one is set. */
  @Override
  public Optional<byte[]> sessionKey() {
    return sessionKey.map(byte[]::clone);
  }

  /** Only the admin key, with the default algorithms, skew and callback cache time. */
  public static AuthSettings defaults(String adminKey) {
    return new AuthSettings(adminKey, Optional.empty(), Optional.empty(), DEFAULT_ALGORITHMS, DEFAULT_CLOCK_SKEW,
        Optional.empty(), DEFAULT_CALLBACK_TTL);
  }

  /** Whether tokens are verified here (a secret or a JWKS URL is set) rather than by Open WebUI. */
  boolean verifiesLocally() {
    return webuiSecret.isPresent() || jwksUrl.isPresent();
  }

  @Override
  public String toString() {
    return "AuthSettings[adminKey=***, webuiSecret=" + webuiSecret.map(s -> "***").orElse("none")
        + ", jwksUrl=" + jwksUrl.map(URI::toString).orElse("none") + ", algorithms=" + algorithms.stream().sorted().toList()
        + ", clockSkew=" + clockSkew + ", webuiUrl=" + webuiUrl.map(URI::toString).orElse("none")
        + ", callbackTtl=" + callbackTtl + ", sessionKey=" + sessionKey.map(k -> "***").orElse("none")
        + ", issuers=" + issuers.stream().sorted().toList() + ", audiences=" + audiences.stream().sorted().toList() + "]";
  }

  private static Set<String> accepted(Set<String> values, String what) {
    if (values == null) {
      throw new IllegalArgumentException("the accepted " + what + "s must not be null");
    }
    if (values.size() > MAX_ACCEPTED) {
      throw new IllegalArgumentException("at most " + MAX_ACCEPTED + " accepted " + what + "s may be configured");
    }
    for (String value : values) {
      if (value == null || value.isBlank() || value.length() > MAX_CLAIM_VALUE || value.chars().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException("an accepted JWT " + what + " must be 1-" + MAX_CLAIM_VALUE
            + " characters without control characters");
      }
    }
    return Set.copyOf(values);
  }

  private static void checkUrl(Optional<URI> url, String what) {
    if (url == null) {
      throw new IllegalArgumentException("the " + what + " must not be null");
    }
    url.ifPresent(u -> {
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
        throw new IllegalArgumentException("the " + what + " must be an absolute http or https URL");
      }
    });
  }
}
