package dev.sandcastle.orchestrator.account;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashing with PBKDF2-HMAC-SHA256 from the JDK: a random 16-byte salt per password, a
 * 32-byte hash, and a self-describing encoded form {@code pbkdf2-sha256$<iterations>$<b64 salt>$<b64 hash>}
 * (standard base64 without padding), so the work factor can be raised later and old hashes still
 * verify ({@link #needsRehash} tells when to store a new one).
 *
 * <p>Thread-safe. Hashing and verifying each take a noticeable fraction of a second by design;
 * run them on virtual threads. Nothing here fails for a malformed stored hash: it just does not verify.
 */
final class PasswordHasher {
  /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  static final int DEFAULT_ITERATIONS = 210_000;
  static final String SCHEME = "pbkdf2-sha256";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final int MAX_ITERATIONS = 100_000_000;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODE = Base64.getDecoder();

  private final int iterations;

  PasswordHasher() {
    this(DEFAULT_ITERATIONS);
  }

  /** With another work factor (tests use a small one; production never goes below the default). */
  PasswordHasher(int iterations) {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be between 1 and " + MAX_ITERATIONS);
    }
    this.iterations = iterations;
  }

  /** The encoded hash of {@code password} with a fresh salt. */
  String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return SCHEME + "$" + iterations + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(derive(password, salt, iterations, HASH_BYTES));
  }

  /** Whether {@code password} matches {@code encoded}; compares in constant time. False for a malformed hash. */
  boolean verify(String password, String encoded) {
    Parsed parsed = parse(encoded);
    if (parsed == null) {
      return false;
    }
    return MessageDigest.isEqual(parsed.hash(), derive(password, parsed.salt(), parsed.iterations(), parsed.hash().length));
  }

  /** Whether {@code encoded} was made with fewer iterations than this hasher uses (or cannot be read). */
  boolean needsRehash(String encoded) {
    Parsed parsed = parse(encoded);
    return parsed == null || parsed.iterations() < iterations;
  }

  private record Parsed(int iterations, byte[] salt, byte[] hash) {}

  private static Parsed parse(String encoded) {
    if (encoded == null) {
      return null;
    }
    String[] parts = encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      return null;
    }
    try {
      int iterations = Integer.parseInt(parts[1]);
      byte[] salt = B64_DECODE.decode(parts[2]);
      byte[] hash = B64_DECODE.decode(parts[3]);
      if (iterations < 1 || iterations > MAX_ITERATIONS || salt.length < 8 || hash.length < 16 || hash.length > 64) {
        return null;
      }
      return new Parsed(iterations, salt, hash);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] derive(String password, byte[] salt, int iterations, int bytes) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, bytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM", e);
    } finally {
      spec.clearPassword();
    }
  }
}
