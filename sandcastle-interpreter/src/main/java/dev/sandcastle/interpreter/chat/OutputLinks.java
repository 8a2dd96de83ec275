package dev.sandcastle.interpreter.chat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Links to the files code produced that a browser can load without headers (an {@code <img>}
 * tag sends none): {@code /v1/outputs/<token>/<name>}, where the token names the tenant and an
 * expiry and carries an HMAC-SHA256 over them and the file name under a server key. A link works
 * for that one file of that one tenant until it expires; nothing else can be read with it.
 */
public final class OutputLinks {
  static final String PREFIX = "/v1/outputs/";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder D64 = Base64.getUrlDecoder();

  /** Who a link was made for. */
  public record Owner(String userId, String policyId, String contextId) {}

  private final byte[] key;
  private final Duration lifetime;
  private final Clock clock;

  public OutputLinks(byte[] key, Duration lifetime, Clock clock) {
    if (key.length < 32) {
      throw new IllegalArgumentException("the link key must have at least 32 bytes");
    }
    this.key = key.clone();
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /** The link to a file in the tenant's {@code ~/outputs}. */
  public String link(Owner owner, String fileName) {
    long expires = clock.instant().plus(lifetime).getEpochSecond();
    String claims = B64.encodeToString((owner.userId() + "\n" + owner.policyId() + "\n" + owner.contextId() + "\n" + expires)
        .getBytes(StandardCharsets.UTF_8));
    return PREFIX + claims + "." + B64.encodeToString(mac(claims + "/" + fileName)) + "/" + fileName;
  }

  /** The owner a token was made for, if it is genuine, unexpired and for this file name. */
  public Optional<Owner> verify(String token, String fileName) {
    int dot = token.indexOf('.');
    if (dot < 0) {
      return Optional.empty();
    }
    String claims = token.substring(0, dot);
    byte[] signature;
    String[] fields;
    try {
      signature = D64.decode(token.substring(dot + 1));
      fields = new String(D64.decode(claims), StandardCharsets.UTF_8).split("\n", -1);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (fields.length != 4 || !MessageDigest.isEqual(signature, mac(claims + "/" + fileName))) {
      return Optional.empty();
    }
    try {
      if (Long.parseLong(fields[3]) < clock.instant().getEpochSecond()) {
        return Optional.empty();
      }
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.of(new Owner(fields[0], fields[1], fields[2]));
  }

  private byte[] mac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
