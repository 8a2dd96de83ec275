package dev.sandcastle.orchestrator.backend.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Linux account per user, made on first use with {@code useradd} (Debian's {@code passwd}
 * package), for the multi-user mode of {@code sandcastle terminal}: one machine or container,
 * many users, each confined to an account of their own. All tenants (policies, contexts) of a
 * user share the user's account; {@code tenantNumber} is not used.
 *
 * <p><b>Names.</b> A readable, sanitised prefix of the user id (at most {@value #READABLE}
 * characters of {@code [a-z0-9-]}, accents dropped, starting with a letter) and 8 hex digits of a
 * SHA-256 hash of the whole id, e.g. {@code alice-example-com-3f2a9c01}: at most 29 characters, so
 * Linux never truncates one. The full user id is recorded, percent-encoded to {@code
 * [A-Za-z0-9._@+%-]}, in the account's comment field ({@code sandcastle-user=...}), and checked on
 * every look-up: if the derived name belongs to another account, the next candidate (another hash)
 * is tried. Nothing of the user id reaches {@code /etc/passwd} or a command line unencoded, and no
 * shell is involved.
 *
 * <p><b>Ids.</b> Accounts get uids in {@link Settings#firstUid()}..{@link Settings#lastUid()}
 * (by default 20000-59999, above every system account) and a group of their own with the same
 * id. A new account takes the lowest uid that is neither a user's nor a group's nor the owner of
 * anything in the home base, so a uid left on a home whose account is gone is never handed to
 * someone else. If the home directory of a new account already exists (the homes outlived the
 * account database, e.g. a container whose {@code /home} is a volume), the account is made again
 * with the uid that owns that home, so the user gets their files back; a home owned by a live
 * account, by root or by a uid outside the range is refused.
 *
 * <p><b>Homes</b> are {@code homeBase/<name>}, mode 0700 (users cannot see each other's), from
 * {@code /etc/skel}; the login shell is {@code /bin/bash} when present, else {@code /bin/sh}. The
 * password is locked.
 *
 * <p>Thread-safe. Accounts are made under one lock per process, so two first requests of one user
 * make one account; known accounts are answered from memory without it. Only one process should
 * make accounts on a machine ({@code useradd}'s own locking keeps the database intact, but two
 * processes could pick the same free uid, and one of them would then fail). Needs root.
 */
public final class LinuxAccounts implements Accounts {
  private static final Logger log = LoggerFactory.getLogger(LinuxAccounts.class);
  static final String COMMENT_PREFIX = "sandcastle-user=";
  static final int READABLE = 20;
  private static final int MAX_CANDIDATES = 16;
  private static final Path USERADD = Path.of("/usr/sbin/useradd");
  private static final Path GETENT = Path.of("/usr/bin/getent");

  /**
   * Where homes go and which ids accounts may get.
   *
   * @param homeBase the directory that holds the homes (created if missing); absolute
   * @param firstUid the lowest uid (and gid) an account may get: at least 1000, above system accounts
   * @param lastUid the highest; the range must not include 65534 and 65535 (nobody, and -1 as a 16-bit id)
   */
  public record Settings(Path homeBase, int firstUid, int lastUid) {
    public Settings {
      if (homeBase == null || !homeBase.isAbsolute()) {
        throw new IllegalArgumentException("the home base of accounts must be an absolute path");
      }
      homeBase = homeBase.normalize();
      if (firstUid < 1000 || lastUid < firstUid) {
        throw new IllegalArgumentException(
            "the uid range of accounts must start at 1000 or above and not be empty: " + firstUid + "-" + lastUid);
      }
      if (firstUid <= 65535 && lastUid >= 65534) {
        throw new IllegalArgumentException(
            "the uid range of accounts must not include 65534 (nobody) or 65535: " + firstUid + "-" + lastUid);
      }
    }

    /** Homes under /home, uids 20000-59999. */
    public static Settings defaults() {
      return new Settings(Path.of("/home"), 20_000, 59_999);
    }
  }

  /** A line of the user database. */
  private record PasswdEntry(String name, int uid, int gid, String comment, String home) {}

  private final Settings settings;
  private final String shell;
  private final Map<String, Account> known = new ConcurrentHashMap<>();
  /** One per process: two instances (or two backends) must not pick the same free uid. */
  private static final ReentrantLock CREATING = new ReentrantLock();

  /**
   * @throws IllegalStateException if the server is not root or {@code useradd} or {@code getent}
   *     are missing
   */
  public LinuxAccounts(Settings settings) {
    this.settings = settings;
    if (Sandbox.currentUid() != 0) {
      throw new IllegalStateException("one Linux account per user needs a server running as root");
    }
    for (Path tool : List.of(USERADD, GETENT)) {
      if (!Files.isExecutable(tool)) {
        throw new IllegalStateException(
            "one Linux account per user needs " + tool + " (Debian packages passwd and libc-bin)");
      }
    }
    this.shell = Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
    try {
      Files.createDirectories(settings.homeBase());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the home base " + settings.homeBase(), e);
    }
  }

  /** The account of the tenant's user (see the class comment); blocks while one is made. */
  @Override
  public boolean sharedByUser() {
    return true; // one account per user id, whatever the policy or context
  }

  @Override
  public Account accountFor(TenantKey key, long tenantNumber) {
    String userId = key.userId();
    Account account = known.get(userId);
    if (account != null) {
      return account;
    }
    String comment = comment(userId);
    CREATING.lock();
    try {
      account = known.get(userId);
      if (account == null) {
        account = findOrCreate(userId, comment);
        known.put(userId, account);
      }
      return account;
    } finally {
      CREATING.unlock();
    }
  }

  private Account findOrCreate(String userId, String comment) {
    for (int candidate = 0; candidate < MAX_CANDIDATES; candidate++) {
      String name = name(userId, candidate);
      Optional<PasswdEntry> entry = passwd(name);
      if (entry.isEmpty() && !groupExists(name)) {
        create(name, comment);
        entry = passwd(name);
      }
      if (entry.isPresent() && entry.get().comment().equals(comment)) {
        return checked(entry.get());
      }
      // The name is another user's (or a group's): try the next candidate.
    }
    throw new Unavailable("No free account name for this user after " + MAX_CANDIDATES + " candidates");
  }

  /** An existing account recorded for this user, refused if its ids are not ones we would give. */
  private Account checked(PasswdEntry entry) {
    if (!inRange(entry.uid()) || !inRange(entry.gid())) {
      throw new Unavailable(
          "The Linux account " + entry.name() + " has ids " + entry.uid() + ":" + entry.gid() + ", outside "
              + settings.firstUid() + "-" + settings.lastUid() + "; refusing to run a workspace as it");
    }
    Path home;
    try {
      home = Path.of(entry.home());
    } catch (java.nio.file.InvalidPathException e) {
      throw new Unavailable("The Linux account " + entry.name() + " has an invalid home directory", e);
    }
    if (!home.isAbsolute()) {
      throw new Unavailable("The Linux account " + entry.name() + " has no absolute home directory");
    }
    return new Account(entry.name(), entry.uid(), entry.gid(), home.normalize());
  }

  private void create(String name, String comment) {
    Path home = settings.homeBase().resolve(name);
    List<String> command = new ArrayList<>(List.of(
        USERADD.toString(),
        "-K", "UID_MIN=" + settings.firstUid(), "-K", "UID_MAX=" + settings.lastUid(),
        "-K", "GID_MIN=" + settings.firstUid(), "-K", "GID_MAX=" + settings.lastUid(),
        "-K", "HOME_MODE=0700", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0",
        "--user-group", "--no-log-init", "--home-dir", home.toString(), "--shell", shell, "--comment", comment));
    int uid;
    Optional<Integer> previousOwner = homeOwner(home);
    if (previousOwner.isPresent()) {
      uid = previousOwner.get();
      command.addAll(List.of("--uid", Integer.toString(uid), "--no-create-home"));
    } else {
      uid = freeUid();
      command.addAll(List.of("--uid", Integer.toString(uid), "--create-home"));
    }
    command.addAll(List.of("--", name));
    Tools.Result result = Tools.run(command);
    if (result.exit() == 9) {
      return; // the name was taken meanwhile (another process): the caller looks again
    }
    if (result.exit() != 0) {
      log.warn("useradd for {} failed with exit {}: {}", name, result.exit(), result.output().strip());
      throw new Unavailable("Cannot create a Linux account for this user (useradd exit " + result.exit() + ")");
    }
    try {
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new Unavailable("Cannot restrict the home directory of the new account " + name, e);
    }
    log.info("{} Linux account {} (uid {}) for a user", previousOwner.isPresent() ? "restored" : "created", name, uid);
  }

  /**
   * The owner of a home left from an account that is gone, to make the account again with it.
   * Empty if there is no such directory.
   *
   * @throws Unavailable if something is there that must not be reused
   */
  private Optional<Integer> homeOwner(Path home) {
    if (!Files.exists(home, NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      int owner = (Integer) Files.getAttribute(home, "unix:uid", NOFOLLOW_LINKS);
      if (Files.isDirectory(home, NOFOLLOW_LINKS) && inRange(owner) && !usedIds("passwd").contains(owner)
          && !usedIds("group").contains(owner)) {
        return Optional.of(owner);
      }
      throw new Unavailable("The home directory for this user's new account exists and belongs to uid " + owner
          + ", not to an account that is gone; refusing to reuse it");
    } catch (IOException e) {
      throw new Unavailable("Cannot inspect the home directory for this user's new account", e);
    }
  }

  /** The lowest uid of the range that no user, group or anything in the home base has. */
  private int freeUid() {
    Set<Integer> used = new HashSet<>(usedIds("passwd"));
    used.addAll(usedIds("group"));
    try (Stream<Path> homes = Files.list(settings.homeBase())) {
      for (Path home : homes.toList()) {
        used.add((Integer) Files.getAttribute(home, "unix:uid", NOFOLLOW_LINKS));
        used.add((Integer) Files.getAttribute(home, "unix:gid", NOFOLLOW_LINKS));
      }
    } catch (IOException e) {
      throw new Unavailable("Cannot list the home directories", e);
    }
    for (int uid = settings.firstUid(); uid <= settings.lastUid(); uid++) {
      if (!used.contains(uid)) {
        return uid;
      }
    }
    throw new Unavailable("No free uid left in " + settings.firstUid() + "-" + settings.lastUid());
  }

  /** The ids (third field) of every entry of a database, e.g. "passwd" or "group". */
  private static Set<Integer> usedIds(String database) {
    Tools.Result result = Tools.run(List.of(GETENT.toString(), database));
    if (result.exit() != 0) {
      throw new Unavailable("Cannot read the " + database + " database (getent exit " + result.exit() + ")");
    }
    Set<Integer> ids = new HashSet<>();
    for (String line : result.output().split("\n")) {
      String[] fields = line.split(":", -1);
      if (fields.length >= 3) {
        try {
          ids.add(Integer.parseUnsignedInt(fields[2]));
        } catch (NumberFormatException ignored) {
          // not a line we can use; it cannot be one of our ids either
        }
      }
    }
    return ids;
  }

  private Optional<PasswdEntry> passwd(String name) {
    Tools.Result result = Tools.run(List.of(GETENT.toString(), "passwd", "--", name));
    if (result.exit() == 2) {
      return Optional.empty();
    }
    String[] fields = result.output().strip().split(":", -1);
    if (result.exit() != 0 || fields.length != 7 || !fields[0].equals(name)) {
      throw new Unavailable("Cannot look up the Linux account " + name + " (getent exit " + result.exit() + ")");
    }
    try {
      return Optional.of(new PasswdEntry(
          name, Integer.parseUnsignedInt(fields[2]), Integer.parseUnsignedInt(fields[3]), fields[4], fields[5]));
    } catch (NumberFormatException e) {
      throw new Unavailable("The Linux account " + name + " has malformed ids", e);
    }
  }

  private static boolean groupExists(String name) {
    Tools.Result result = Tools.run(List.of(GETENT.toString(), "group", "--", name));
    return switch (result.exit()) {
      case 0 -> true;
      case 2 -> false;
      default -> throw new Unavailable("Cannot look up the group " + name + " (getent exit " + result.exit() + ")");
    };
  }

  private boolean inRange(int id) {
    return id >= settings.firstUid() && id <= settings.lastUid();
  }

  /**
   * The account name of a user id: a readable prefix and a hash of the whole id (a different one
   * for each {@code candidate}).
   */
  static String name(String userId, int candidate) {
    String readable = Normalizer.normalize(userId, Normalizer.Form.NFKD)
        .replaceAll("\\p{M}", "")
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9]+", "-")
        .replaceAll("^-+|-+$", "");
    if (readable.isEmpty() || !Character.isLetter(readable.charAt(0))) {
      readable = readable.isEmpty() ? "u" : "u-" + readable;
    }
    if (readable.length() > READABLE) {
      readable = readable.substring(0, READABLE).replaceAll("-+$", "");
    }
    String hashed = candidate == 0 ? userId : userId + "\0" + candidate;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(hashed.getBytes(StandardCharsets.UTF_8));
      return readable + "-" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * What the account's comment field records: the user id, percent-encoded to {@code
   * [A-Za-z0-9._@+%-]} (no ':', ',', newline or anything else with a meaning in /etc/passwd).
   *
   * @throws BadRequest if the id is not valid Unicode (it could not be recorded faithfully)
   */
  static String comment(String userId) {
    ByteBuffer bytes;
    try {
      bytes = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(userId));
    } catch (CharacterCodingException e) {
      throw new BadRequest("the user id is not valid Unicode");
    }
    StringBuilder out = new StringBuilder(COMMENT_PREFIX);
    while (bytes.hasRemaining()) {
      int b = bytes.get() & 0xff;
      if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || ".-_@+".indexOf(b) >= 0) {
        out.append((char) b);
      } else {
        out.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) b));
      }
    }
    return out.toString();
  }
}
