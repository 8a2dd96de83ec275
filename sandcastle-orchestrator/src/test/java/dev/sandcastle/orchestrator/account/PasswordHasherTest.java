package dev.sandcastle.orchestrator.account;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  private final PasswordHasher hasher = new PasswordHasher();

  @Test
  void aPasswordVerifiesAgainstItsOwnHashOnly() {
    String hash = hasher.hash("correct horse battery staple");

    assertThat(hash).startsWith("pbkdf2-sha256$210000$").doesNotContain("correct horse");
    assertThat(hash.split("\\$")).hasSize(4);
    assertThat(Base64.getDecoder().decode(hash.split("\\$")[2])).hasSize(16);
    assertThat(hasher.verify("correct horse battery staple", hash)).isTrue();
    assertThat(hasher.verify("correct horse battery stapler", hash)).isFalse();
    assertThat(hasher.verify("", hash)).isFalse();
    assertThat(hasher.needsRehash(hash)).isFalse();
  }

  @Test
  void theSamePasswordHashesDifferentlyEachTime() {
    assertThat(hasher.hash("same password")).isNotEqualTo(hasher.hash("same password"));
  }

  @Test
  void aTamperedOrMalformedHashNeverVerifies() {
    PasswordHasher fast = new PasswordHasher(1000);
    String hash = fast.hash("a password of mine");
    String[] parts = hash.split("\\$");
    byte[] digest = Base64.getDecoder().decode(parts[3]);
    digest[0] ^= 1;
    String flipped = parts[0] + "$" + parts[1] + "$" + parts[2] + "$" + Base64.getEncoder().withoutPadding().encodeToString(digest);
    String fewerIterations = parts[0] + "$999$" + parts[2] + "$" + parts[3];

    assertThat(fast.verify("a password of mine", flipped)).isFalse();
    assertThat(fast.verify("a password of mine", fewerIterations)).isFalse();
    for (String malformed : new String[] {"", "plain text", "bcrypt$10$abc$def", "pbkdf2-sha256$x$AAAA$AAAA",
        "pbkdf2-sha256$1000$!!$AAAA", "pbkdf2-sha256$0$" + parts[2] + "$" + parts[3], parts[0] + "$" + parts[1] + "$" + parts[2]}) {
      assertThat(fast.verify("a password of mine", malformed)).as(malformed).isFalse();
    }
  }

  @Test
  void aHashWithFewerIterationsThanNowNeedsARehashButStillVerifies() {
    String old = new PasswordHasher(1000).hash("an older password");

    assertThat(hasher.needsRehash(old)).isTrue();
    assertThat(hasher.verify("an older password", old)).isTrue();
    assertThat(hasher.needsRehash("garbage")).isTrue();
    assertThat(new PasswordHasher(1000).needsRehash(hasher.hash("x"))).isFalse();
  }
}
