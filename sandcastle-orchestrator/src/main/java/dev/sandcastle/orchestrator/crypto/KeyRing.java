package dev.sandcastle.orchestrator.crypto;

import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master keys that encrypt secrets at rest (the workspaces' API keys): AES-256-GCM with a
 * random 96-bit IV per message and a 128-bit tag. A ciphertext reads
 * {@code v1.<keyId>.<base64url(iv || ciphertext || tag)>}; the version and key id are
 * authenticated along with the caller's associated data, so any change to a ciphertext, a wrong
 * associated data or a key this ring does not hold is detected.
 *
 * <p>Keys come from {@code SANDCASTLE_MASTER_KEY} (base64 of 32 bytes; its id derived from a hash
 * of the key), optionally with older keys in {@code SANDCASTLE_MASTER_KEY_PREVIOUS}, or else from a
 * key file of lines {@code <keyId> <base64key>} whose last line is the active key. The file is
 * created with mode 0600 (and its directory with 0700) when missing.
 *
 * <p>Thread-safe. {@link #rotate} changes this ring in place: every holder encrypts with the new
 * key from then on and still decrypts with the old ones. Key material is never logged and never
 * appears in a message.
 *
 * <p>Failures: {@link Unavailable} for a ciphertext that cannot be decrypted (tampered, wrong
 * associated data, unknown key id, malformed) and for an unreadable or malformed key source;
 * {@link Conflict} for rotating a key that comes from the environment.
 */
public final class KeyRing {
  /** The environment variable holding the active master key. */
  public static final String ENV_KEY = "SANDCASTLE_MASTER_KEY";
  /** The environment variable holding older master keys (comma or space separated) still needed to decrypt. */
  public static final String ENV_PREVIOUS_KEYS = "SANDCASTLE_MASTER_KEY_PREVIOUS";

  private static final Logger LOG = LoggerFactory.getLogger(KeyRing.class);
  private static final String VERSION = "v1";
  private static final int KEY_BYTES = 32;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** An immutable snapshot: every key by id (insertion order) and the active one. */
  private record Keys(Map<String, SecretKey> byId, String activeId) {}

  private final boolean fromEnvironment;
  private volatile Keys keys;

  private KeyRing(Keys keys, boolean fromEnvironment) {
    this.keys = keys;
    this.fromEnvironment = fromEnvironment;
  }

  /** {@link #load(Optional, Optional, Path)} without previous environment keys. */
  public static KeyRing load(Optional<String> envValue, Path keyFile) {
    return load(envValue, Optional.empty(), keyFile);
  }

  /**
   * Loads the master keys. When {@code envValue} (the value of {@value #ENV_KEY}) is present it is
   * the active key; {@code previousEnvValue} ({@value #ENV_PREVIOUS_KEYS}) and the key file, if it
   * exists, add older keys for decryption only. Otherwise the key file is read, or created with a
   * fresh random key (mode 0600, written atomically) when it does not exist.
   *
   * @throws Unavailable when a key is malformed or the key file cannot be read or created
   */
  public static KeyRing load(Optional<String> envValue, Optional<String> previousEnvValue, Path keyFile) {
    Optional<String> active = envValue.map(String::strip).filter(s -> !s.isEmpty());
    if (active.isPresent()) {
      Map<String, SecretKey> byId = new LinkedHashMap<>();
      if (Files.exists(keyFile)) {
        byId.putAll(readKeyFile(keyFile).byId());
      }
      for (String previous : previousEnvValue.orElse("").split("[,\\s]+")) {
        if (!previous.isEmpty()) {
          SecretKey key = decodeKey(previous, ENV_PREVIOUS_KEYS);
          byId.put(derivedId(key), key);
        }
      }
      SecretKey key = decodeKey(active.get(), ENV_KEY);
      String id = derivedId(key);
      byId.remove(id);
      byId.put(id, key);
      return new KeyRing(new Keys(Map.copyOf(byId), id), true);
    }
    if (Files.exists(keyFile)) {
      return new KeyRing(readKeyFile(keyFile), false);
    }
    SecretKey key = newKey();
    String id = derivedId(key);
    try {
      writeKeyFile(keyFile, List.of(line(id, key)), true);
    } catch (FileAlreadyExistsException e) {
      // Another process created it first: use theirs.
      return new KeyRing(readKeyFile(keyFile), false);
    }
    LOG.info("generated a new master key (id {}) in {}", id, keyFile.getFileName());
    return new KeyRing(new Keys(Map.of(id, key), id), false);
  }

  /**
   * Adds a new random key to the key file as its last line and makes it this ring's active key.
   * Existing ciphertexts stay readable; re-encrypt them with {@link KeyRotation}.
   *
   * @return this ring
   * @throws Conflict when the active key comes from {@value #ENV_KEY}: then set a new key there and
   *     move the old one to {@value #ENV_PREVIOUS_KEYS}
   * @throws Unavailable when the key file cannot be written
   */
  public synchronized KeyRing rotate(Path keyFile) {
    if (fromEnvironment) {
      throw new Conflict("the master key comes from " + ENV_KEY + " and cannot be rotated here: set a new key in "
          + ENV_KEY + ", put the old one in " + ENV_PREVIOUS_KEYS + " and restart");
    }
    List<String> lines = new ArrayList<>();
    if (Files.exists(keyFile)) {
      try {
        for (String existing : Files.readAllLines(keyFile, StandardCharsets.UTF_8)) {
          if (!existing.isBlank()) {
            lines.add(existing.strip());
          }
        }
      } catch (IOException e) {
        throw new Unavailable("cannot read the master key file " + keyFile.getFileName() + ": " + e.getClass().getSimpleName());
      }
    }
    Keys current = keys;
    SecretKey key = newKey();
    String id = derivedId(key);
    lines.add(line(id, key));
    try {
      writeKeyFile(keyFile, lines, false);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException("unreachable: replacing the key file never requires it to be absent", e);
    }
    Map<String, SecretKey> byId = new LinkedHashMap<>(current.byId());
    byId.put(id, key);
    keys = new Keys(Map.copyOf(byId), id);
    LOG.info("rotated the master key: new active key id {}", id);
    return this;
  }

  /** The id of the key new ciphertexts are encrypted with. */
  public String activeKeyId() {
    return keys.activeId();
  }

  /** Whether the active key came from the environment (then {@link #rotate} refuses). */
  public boolean fromEnvironment() {
    return fromEnvironment;
  }

  /**
   * Encrypts {@code plaintext} with the active key, authenticating {@code associatedData} (which
   * must be given again, unchanged, to decrypt; e.g. the id of the row the ciphertext belongs to).
   */
  public String encrypt(String plaintext, String associatedData) {
    Keys snapshot = keys;
    String header = VERSION + "." + snapshot.activeId();
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, snapshot.byId().get(snapshot.activeId()), new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(aad(header, associatedData));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
      return header + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  /**
   * Decrypts a ciphertext made by {@link #encrypt} with any key of this ring.
   *
   * @throws Unavailable when the ciphertext is malformed or was tampered with, the associated data
   *     differs, or its key is not in this ring
   */
  public String decrypt(String ciphertext, String associatedData) {
    String[] parts = split(ciphertext);
    SecretKey key = keys.byId().get(parts[1]);
    if (key == null) {
      throw new Unavailable("cannot decrypt a stored secret: its master key (id " + parts[1]
          + ") is not loaded; restore the key file or " + ENV_PREVIOUS_KEYS);
    }
    byte[] body;
    try {
      body = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new Unavailable("cannot decrypt a stored secret: it is not valid base64url");
    }
    if (body.length < IV_BYTES + TAG_BITS / 8) {
      throw new Unavailable("cannot decrypt a stored secret: it is too short");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, body, 0, IV_BYTES));
      cipher.updateAAD(aad(parts[0] + "." + parts[1], associatedData));
      return new String(cipher.doFinal(body, IV_BYTES, body.length - IV_BYTES), StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw new Unavailable("cannot decrypt a stored secret: it was altered or belongs to something else (authentication failed)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  /**
   * The ciphertext encrypted with the active key: unchanged if it already is, else decrypted and
   * encrypted again under the same associated data.
   *
   * @throws Unavailable as {@link #decrypt}
   */
  public String reencrypt(String ciphertext, String associatedData) {
    if (keyIdOf(ciphertext).equals(keys.activeId())) {
      return ciphertext;
    }
    return encrypt(decrypt(ciphertext, associatedData), associatedData);
  }

  /**
   * The id of the key a ciphertext was encrypted with.
   *
   * @throws Unavailable when it is not a ciphertext of this format
   */
  public static String keyIdOf(String ciphertext) {
    return split(ciphertext)[1];
  }

  @Override
  public String toString() {
    return "KeyRing[active=" + keys.activeId() + ", keys=" + keys.byId().size() + "]";
  }

  private static String[] split(String ciphertext) {
    String[] parts = ciphertext == null ? new String[0] : ciphertext.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals(VERSION) || !KEY_ID.matcher(parts[1]).matches()) {
      throw new Unavailable("cannot decrypt a stored secret: it is not a " + VERSION + " ciphertext");
    }
    return parts;
  }

  private static byte[] aad(String header, String associatedData) {
    return (header + "\n" + associatedData).getBytes(StandardCharsets.UTF_8);
  }

  private static SecretKey newKey() {
    byte[] bytes = new byte[KEY_BYTES];
    RANDOM.nextBytes(bytes);
    return new SecretKeySpec(bytes, "AES");
  }

  private static SecretKey decodeKey(String base64, String source) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      try {
        bytes = Base64.getUrlDecoder().decode(base64.strip());
      } catch (IllegalArgumentException e2) {
        throw new Unavailable("the master key in " + source + " is not valid base64");
      }
    }
    if (bytes.length != KEY_BYTES) {
      throw new Unavailable("the master key in " + source + " must be " + KEY_BYTES + " bytes (base64), not " + bytes.length);
    }
    return new SecretKeySpec(bytes, "AES");
  }

  /** A key's id: hex of the first 8 bytes of SHA-256("sandcastle-key-id" || key). */
  private static String derivedId(SecretKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("sandcastle-key-id".getBytes(StandardCharsets.US_ASCII));
      byte[] hash = sha.digest(key.getEncoded());
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static String line(String id, SecretKey key) {
    return id + " " + Base64.getEncoder().encodeToString(key.getEncoded());
  }

  private static Keys readKeyFile(Path keyFile) {
    String name = String.valueOf(keyFile.getFileName());
    List<String> lines;
    try {
      lines = Files.readAllLines(keyFile, StandardCharsets.UTF_8);
      warnIfReadableByOthers(keyFile);
    } catch (IOException e) {
      throw new Unavailable("cannot read the master key file " + name + ": " + e.getClass().getSimpleName());
    }
    Map<String, SecretKey> byId = new LinkedHashMap<>();
    String active = null;
    int number = 0;
    for (String raw : lines) {
      number++;
      String text = raw.strip();
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      String[] fields = text.split("\\s+");
      if (fields.length != 2 || !KEY_ID.matcher(fields[0]).matches()) {
        throw new Unavailable("the master key file " + name + " is malformed at line " + number
            + ": expected '<keyId> <base64 key>' with a key id of letters, digits, '_' and '-'");
      }
      SecretKey key = decodeKey(fields[1], "the key file " + name + " (line " + number + ")");
      byId.remove(fields[0]);
      byId.put(fields[0], key);
      active = fields[0];
    }
    if (active == null) {
      throw new Unavailable("the master key file " + name + " holds no key");
    }
    return new Keys(Map.copyOf(byId), active);
  }

  private static void warnIfReadableByOthers(Path keyFile) throws IOException {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(keyFile);
      if (!OWNER_ONLY_FILE.containsAll(mode)) {
        LOG.warn("the master key file {} is accessible to other users ({}); chmod 600 it",
            keyFile.getFileName(), PosixFilePermissions.toString(mode));
      }
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: nothing to check.
    }
  }

  /**
   * Writes the key file through a temporary file that is born with mode 0600 and then moved into
   * place, so the keys are never visible with wider permissions nor half written.
   */
  private static void writeKeyFile(Path keyFile, List<String> lines, boolean mustBeNew) throws FileAlreadyExistsException {
    Path file = keyFile.toAbsolutePath();
    Path dir = file.getParent();
    String name = String.valueOf(file.getFileName());
    Path temp = null;
    try {
      boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
      if (!Files.isDirectory(dir)) {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        } else {
          Files.createDirectories(dir);
        }
      }
      FileAttribute<?>[] attrs = posix
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
          : new FileAttribute<?>[0];
      temp = Files.createTempFile(dir, "." + name + ".", ".tmp", attrs);
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(ByteBuffer.wrap((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));
        out.force(true);
      }
      if (mustBeNew) {
        // A hard link fails if the name exists, so two processes starting at once cannot both win.
        try {
          Files.createLink(file, temp);
        } catch (UnsupportedOperationException e) {
          if (Files.exists(file)) {
            throw new FileAlreadyExistsException(name);
          }
          Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        }
      } else {
        try {
          Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException e) {
      throw new Unavailable("cannot write the master key file " + name + ": " + e.getClass().getSimpleName());
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // Best effort: a leftover temporary file holds no more than the key file itself.
        }
      }
    }
  }
}
