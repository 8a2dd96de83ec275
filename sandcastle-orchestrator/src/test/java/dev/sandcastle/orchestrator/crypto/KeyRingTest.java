package dev.sandcastle.orchestrator.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Unavailable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class KeyRingTest {
  static final String AAD = "sandcastle/tenant/t1/api-key";
  @TempDir Path dir;

  Path keyFile() {
    return dir.resolve("secrets").resolve("master.key");
  }

  static String randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  @Test
  void encryptsAndDecryptsWithAFreshIvEachTime() {
    KeyRing ring = KeyRing.load(Optional.empty(), keyFile());

    String first = ring.encrypt("workspace-api-key-123", AAD);
    String second = ring.encrypt("workspace-api-key-123", AAD);

    assertThat(first).matches("v1\\.[0-9a-f]{16}\\.[A-Za-z0-9_-]+").doesNotContain("workspace-api-key");
    assertThat(KeyRing.keyIdOf(first)).isEqualTo(ring.activeKeyId());
    assertThat(second).isNotEqualTo(first);
    assertThat(ring.decrypt(first, AAD)).isEqualTo("workspace-api-key-123");
    assertThat(ring.decrypt(second, AAD)).isEqualTo("workspace-api-key-123");
    assertThat(ring.decrypt(ring.encrypt("", AAD), AAD)).isEmpty();
  }

  @Test
  void aGeneratedKeyFileIsPrivateAndSurvivesARestart() throws Exception {
    KeyRing ring = KeyRing.load(Optional.empty(), keyFile());
    String ciphertext = ring.encrypt("secret", AAD);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile()))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile().getParent()))).isEqualTo("rwx------");
    List<String> lines = Files.readAllLines(keyFile());
    assertThat(lines).hasSize(1);
    assertThat(lines.getFirst()).startsWith(ring.activeKeyId() + " ");
    try (var files = Files.list(keyFile().getParent())) {
      assertThat(files).containsExactly(keyFile());
    }

    KeyRing restarted = KeyRing.load(Optional.empty(), keyFile());
    assertThat(restarted.activeKeyId()).isEqualTo(ring.activeKeyId());
    assertThat(restarted.decrypt(ciphertext, AAD)).isEqualTo("secret");
  }

  @Test
  void aTamperedCiphertextIsRejected() {
    KeyRing ring = KeyRing.load(Optional.empty(), keyFile());
    String ciphertext = ring.encrypt("secret", AAD);
    int last = ciphertext.length() - 3;
    String flipped = ciphertext.substring(0, last) + (ciphertext.charAt(last) == 'A' ? 'B' : 'A') + ciphertext.substring(last + 1);

    assertThatThrownBy(() -> ring.decrypt(flipped, AAD))
        .isInstanceOf(Unavailable.class).hasMessageContaining("authentication failed");
    assertThatThrownBy(() -> ring.decrypt(ciphertext.substring(0, 20), AAD)).isInstanceOf(Unavailable.class);
    assertThatThrownBy(() -> ring.decrypt(ciphertext.replace("v1.", "v2."), AAD))
        .isInstanceOf(Unavailable.class).hasMessageContaining("not a v1 ciphertext");
    assertThatThrownBy(() -> ring.decrypt("plain text", AAD)).isInstanceOf(Unavailable.class);
  }

  @Test
  void theWrongAssociatedDataIsRejected() {
    KeyRing ring = KeyRing.load(Optional.empty(), keyFile());
    String ciphertext = ring.encrypt("secret", AAD);

    assertThatThrownBy(() -> ring.decrypt(ciphertext, "sandcastle/tenant/t2/api-key"))
        .isInstanceOf(Unavailable.class).hasMessageContaining("authentication failed");
  }

  @Test
  void aCiphertextOfAnUnknownKeyIsRejectedNamingTheKeyId() {
    KeyRing ours = KeyRing.load(Optional.empty(), keyFile());
    KeyRing theirs = KeyRing.load(Optional.of(randomKey()), dir.resolve("other.key"));
    String foreign = theirs.encrypt("secret", AAD);

    assertThatThrownBy(() -> ours.decrypt(foreign, AAD))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining(theirs.activeKeyId())
        .hasMessageContaining("not loaded");
  }

  @Test
  void rotationAddsANewActiveKeyAndOldCiphertextsStayReadable() throws Exception {
    KeyRing ring = KeyRing.load(Optional.empty(), keyFile());
    String oldId = ring.activeKeyId();
    String old = ring.encrypt("secret", AAD);

    assertThat(ring.rotate(keyFile())).isSameAs(ring);

    assertThat(ring.activeKeyId()).isNotEqualTo(oldId);
    assertThat(KeyRing.keyIdOf(ring.encrypt("x", AAD))).isEqualTo(ring.activeKeyId());
    assertThat(ring.decrypt(old, AAD)).isEqualTo("secret");
    assertThat(ring.reencrypt(old, AAD)).satisfies(c -> {
      assertThat(KeyRing.keyIdOf(c)).isEqualTo(ring.activeKeyId());
      assertThat(ring.decrypt(c, AAD)).isEqualTo("secret");
    });
    String current = ring.encrypt("y", AAD);
    assertThat(ring.reencrypt(current, AAD)).isSameAs(current);

    List<String> lines = Files.readAllLines(keyFile());
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith(oldId + " ");
    assertThat(lines.get(1)).startsWith(ring.activeKeyId() + " ");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile()))).isEqualTo("rw-------");

    KeyRing restarted = KeyRing.load(Optional.empty(), keyFile());
    assertThat(restarted.activeKeyId()).isEqualTo(ring.activeKeyId());
    assertThat(restarted.decrypt(old, AAD)).isEqualTo("secret");
  }

  @Test
  void anEnvironmentKeyWinsHasADerivedIdAndCannotBeRotatedHere() {
    String key = randomKey();
    KeyRing ring = KeyRing.load(Optional.of(key), keyFile());
    KeyRing again = KeyRing.load(Optional.of(key), keyFile());

    assertThat(ring.fromEnvironment()).isTrue();
    assertThat(ring.activeKeyId()).matches("[0-9a-f]{16}").isEqualTo(again.activeKeyId());
    assertThat(again.decrypt(ring.encrypt("secret", AAD), AAD)).isEqualTo("secret");
    assertThat(keyFile()).doesNotExist();
    assertThatThrownBy(() -> ring.rotate(keyFile()))
        .isInstanceOf(Conflict.class)
        .hasMessageContaining("SANDCASTLE_MASTER_KEY_PREVIOUS");
  }

  @Test
  void aPreviousEnvironmentKeyStillDecrypts() {
    String oldKey = randomKey();
    KeyRing before = KeyRing.load(Optional.of(oldKey), keyFile());
    String old = before.encrypt("secret", AAD);

    KeyRing after = KeyRing.load(Optional.of(randomKey()), Optional.of(oldKey), keyFile());

    assertThat(after.activeKeyId()).isNotEqualTo(before.activeKeyId());
    assertThat(after.decrypt(old, AAD)).isEqualTo("secret");
    assertThat(KeyRing.keyIdOf(after.reencrypt(old, AAD))).isEqualTo(after.activeKeyId());
    assertThatThrownBy(() -> KeyRing.load(Optional.of(randomKey()), keyFile()).decrypt(old, AAD))
        .isInstanceOf(Unavailable.class);
  }

  @Test
  void switchingFromTheKeyFileToAnEnvironmentKeyKeepsFileCiphertextsReadable() {
    String old = KeyRing.load(Optional.empty(), keyFile()).encrypt("secret", AAD);

    KeyRing ring = KeyRing.load(Optional.of(randomKey()), keyFile());

    assertThat(ring.decrypt(old, AAD)).isEqualTo("secret");
  }

  @Test
  void malformedKeysAreReportedWithoutEchoingThem() throws Exception {
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
    assertThatThrownBy(() -> KeyRing.load(Optional.of(shortKey), keyFile()))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("SANDCASTLE_MASTER_KEY must be 32 bytes")
        .hasMessageNotContaining(shortKey);
    assertThatThrownBy(() -> KeyRing.load(Optional.of("not*base64!"), keyFile()))
        .isInstanceOf(Unavailable.class)
        .hasMessageNotContaining("not*base64!");

    Files.createDirectories(keyFile().getParent());
    Files.writeString(keyFile(), "k1 " + randomKey() + "\nbroken-line-without-key\n");
    assertThatThrownBy(() -> KeyRing.load(Optional.empty(), keyFile()))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("malformed at line 2");
  }

  @Test
  void keysNeverReachTheLog() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    root.addAppender(captured);
    ch.qos.logback.classic.Level level = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.TRACE);
    try {
      KeyRing ring = KeyRing.load(Optional.empty(), keyFile());
      ring.rotate(keyFile());
      Files.setPosixFilePermissions(keyFile(), PosixFilePermissions.fromString("rw-r--r--"));
      KeyRing.load(Optional.empty(), keyFile());
    } finally {
      root.setLevel(level);
      root.detachAppender(captured);
    }
    List<String> keys = Files.readAllLines(keyFile()).stream().map(line -> line.split(" ")[1]).toList();
    assertThat(captured.list).extracting(ILoggingEvent::getFormattedMessage)
        .anySatisfy(m -> assertThat(m).contains("chmod 600"))
        .allSatisfy(m -> assertThat(keys).noneMatch(m::contains));
  }
}
