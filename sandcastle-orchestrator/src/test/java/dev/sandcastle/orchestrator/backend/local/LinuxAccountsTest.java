package dev.sandcastle.orchestrator.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real accounts made with useradd (the tests run as root), homes under a temporary directory, uids
 * in a range of their own. Every account whose home is under that directory is deleted after each
 * test, whatever happened.
 */
class LinuxAccountsTest {
  static final int FIRST = 47_000;
  static final int LAST = 47_999;

  @TempDir Path base;
  LinuxAccounts.Settings settings;
  LinuxAccounts accounts;

  @BeforeEach
  void setUp() {
    assumeThat(Sandbox.currentUid()).as("makes real accounts: needs root").isZero();
    assumeThat(Path.of("/usr/sbin/useradd")).isExecutable();
    settings = new LinuxAccounts.Settings(base.resolve("homes"), FIRST, LAST);
    accounts = new LinuxAccounts(settings);
  }

  @AfterEach
  void deleteTheAccountsWeMade() {
    List<String> left = new ArrayList<>();
    for (String line : run("getent", "passwd").split("\n")) {
      String[] fields = line.split(":", -1);
      if (fields.length == 7 && Path.of(fields[5]).startsWith(base)) {
        exit("userdel", "-r", fields[0]); // complains (and says so in its exit code) about a missing home or mail spool
        left.add(fields[0]);
      }
    }
    for (String name : left) {
      assertThat(exit("getent", "passwd", name)).as("account %s deleted", name).isEqualTo(2);
      assertThat(exit("getent", "group", name)).as("group %s deleted", name).isEqualTo(2);
    }
  }

  static Account account(LinuxAccounts accounts, String userId) {
    return accounts.accountFor(new TenantKey(userId, null, null), 1);
  }

  Account account(String userId) {
    return account(accounts, userId);
  }

  @Test
  void idsThatSanitiseAlikeGetDistinctAccounts() {
    Account upper = account("Alice@x");
    Account lower = account("alice@x");

    assertThat(upper.name()).startsWith("alice-x-").hasSize("alice-x-".length() + 8);
    assertThat(lower.name()).startsWith("alice-x-").isNotEqualTo(upper.name());
    assertThat(upper.uid()).isNotEqualTo(lower.uid());
    assertThat(List.of(upper.uid(), upper.gid(), lower.uid(), lower.gid())).allMatch(id -> id >= FIRST && id <= LAST);
    assertThat(passwdLine(upper.name()).split(":")[4]).isEqualTo("sandcastle-user=Alice@x");
    assertThat(passwdLine(lower.name()).split(":")[4]).isEqualTo("sandcastle-user=alice@x");
  }

  @Test
  void theSameIdGetsTheSameAccountAlsoAfterARestart() {
    Account first = account("bob@example.com");
    Account again = account("bob@example.com");
    Account afterRestart = account(new LinuxAccounts(settings), "bob@example.com");
    Account otherContext = accounts.accountFor(new TenantKey("bob@example.com", "default", "project-2"), 7);

    assertThat(again).isEqualTo(first);
    assertThat(afterRestart).isEqualTo(first);
    assertThat(otherContext).as("one account per user").isEqualTo(first);
  }

  @Test
  void theHomeIsPrivateAndBelongsToTheAccount() throws IOException {
    Account account = account("carol");

    assertThat(account.home()).isEqualTo(settings.homeBase().resolve(account.name()));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(account.home(), LinkOption.NOFOLLOW_LINKS)))
        .isEqualTo("rwx------");
    assertThat(Files.getAttribute(account.home(), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(account.uid());
    assertThat(Files.getAttribute(account.home(), "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(account.gid());
    String[] fields = passwdLine(account.name()).split(":");
    assertThat(fields[6]).isEqualTo(Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh");
    assertThat(run("getent", "shadow", account.name()).split(":")[1]).as("no password login").startsWith("!");
  }

  static final List<String> HOSTILE = List.of(
      "o'brien \"quoted\"",
      "root:x:0:0:root:/root:/bin/bash",
      "a,b,c",
      "$(touch /tmp/pwned) `id`; rm -rf /",
      "../../etc/passwd",
      "root",
      "Zoë Ünïcödé 日本語 🦀",
      "9lives",
      "---",
      "x".repeat(200) + "日本".repeat(28));

  @Test
  void hostileIdsMapToSafeNamesAndFaithfulComments() {
    for (String id : HOSTILE) {
      assertThat(LinuxAccounts.name(id, 0)).as(id).matches("[a-z][a-z0-9-]{0,19}-[0-9a-f]{8}");
      assertThat(LinuxAccounts.comment(id)).as(id).matches("sandcastle-user=[A-Za-z0-9._@+%-]+");
      assertThat(percentDecode(LinuxAccounts.comment(id).substring("sandcastle-user=".length())))
          .as("recorded faithfully").isEqualTo(id);
    }
    assertThat(LinuxAccounts.name("root", 0)).startsWith("root-");
    assertThat(LinuxAccounts.name("Zoë Ünïcödé 日本語 🦀", 0)).startsWith("zoe-unicode-");
    assertThat(LinuxAccounts.name("9lives", 0)).startsWith("u-9lives-");
    assertThat(LinuxAccounts.name("---", 0)).startsWith("u-");
  }

  @Test
  void hostileIdsAreNeverInjectedIntoTheUserDatabase() {
    for (String id : List.of(HOSTILE.get(1), HOSTILE.get(3), HOSTILE.get(6), HOSTILE.get(9))) {
      Account account = account(id);
      String[] fields = passwdLine(account.name()).split(":", -1);

      assertThat(fields).as(id).hasSize(7);
      assertThat(fields[0]).isEqualTo(account.name()).isEqualTo(LinuxAccounts.name(id, 0));
      assertThat(fields[4]).as(id).isEqualTo(LinuxAccounts.comment(id));
      assertThat(Integer.parseInt(fields[2])).isEqualTo(account.uid()).isBetween(FIRST, LAST);
      assertThat(Path.of(fields[5])).isEqualTo(settings.homeBase().resolve(account.name()));
    }
    assertThat(Path.of("/tmp/pwned")).doesNotExist();
  }

  @Test
  void idsThatCannotBeRecordedFaithfullyAreRefused() {
    assertThatThrownBy(() -> account("line\nbreak")).isInstanceOf(BadRequest.class);
    assertThatThrownBy(() -> account("lone \ud800 surrogate"))
        .isInstanceOf(BadRequest.class)
        .hasMessageContaining("not valid Unicode");
  }

  @Test
  void twoFirstRequestsAtOnceMakeOneAccount() throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Account>> results = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 8; i++) {
        LinuxAccounts each = i % 2 == 0 ? accounts : new LinuxAccounts(settings); // also across instances
        results.add(threads.submit(() -> {
          start.await();
          return account(each, "dave");
        }));
      }
      start.countDown();
      Account first = results.getFirst().get();
      for (Future<Account> result : results) {
        assertThat(result.get()).isEqualTo(first);
      }
    }
    long entries = run("getent", "passwd").lines().filter(l -> l.contains(":sandcastle-user=dave:")).count();
    assertThat(entries).isEqualTo(1);
  }

  @Test
  void aDerivedNameTakenByAnotherAccountIsSkipped() {
    String taken = LinuxAccounts.name("erin", 0);
    run("useradd", "-M", "-d", settings.homeBase().resolve(taken).toString(), "-c", "someone else", "-K", "UID_MIN=" + FIRST,
        "-K", "UID_MAX=" + LAST, "-K", "GID_MIN=" + FIRST, "-K", "GID_MAX=" + LAST, "-K", "SUB_UID_COUNT=0",
        "-K", "SUB_GID_COUNT=0", "-U", "-l", taken);

    Account erin = account("erin");

    assertThat(erin.name()).isEqualTo(LinuxAccounts.name("erin", 1)).isNotEqualTo(taken);
    assertThat(passwdLine(taken).split(":")[4]).as("the other account is untouched").isEqualTo("someone else");
  }

  @Test
  void anAccountOfOursWithIdsOutsideTheRangeIsRefused() {
    String name = LinuxAccounts.name("frank", 0);
    run("useradd", "-M", "-d", settings.homeBase().resolve(name).toString(), "-c", "sandcastle-user=frank",
        "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", "-u", "1999", "-U", "-l", name);

    assertThatThrownBy(() -> account("frank"))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("outside 47000-47999");
  }

  @Test
  void aHomeThatOutlivedItsAccountIsGivenBackWithItsUidAndNeverToSomeoneElse() throws IOException {
    Account grace = account("grace");
    Files.writeString(grace.home().resolve("notes.txt"), "mine");
    Files.setAttribute(grace.home().resolve("notes.txt"), "unix:uid", grace.uid(), LinkOption.NOFOLLOW_LINKS);
    run("userdel", grace.name()); // the account database is lost; the home stays

    Account heidi = account(new LinuxAccounts(settings), "heidi");
    Account graceAgain = account(new LinuxAccounts(settings), "grace");

    assertThat(heidi.uid()).as("a uid that still owns a home is not reused").isNotEqualTo(grace.uid());
    assertThat(graceAgain.name()).isEqualTo(grace.name());
    assertThat(graceAgain.uid()).isEqualTo(grace.uid());
    assertThat(graceAgain.home()).isEqualTo(grace.home());
    assertThat(Files.readString(graceAgain.home().resolve("notes.txt"))).isEqualTo("mine");
  }

  @Test
  void settingsKeepAccountsAwayFromSystemIds() {
    assertThatThrownBy(() -> new LinuxAccounts.Settings(Path.of("/home"), 999, 2000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LinuxAccounts.Settings(Path.of("/home"), 60_000, 70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65534");
    assertThatThrownBy(() -> new LinuxAccounts.Settings(Path.of("home"), 20_000, 30_000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(LinuxAccounts.Settings.defaults())
        .isEqualTo(new LinuxAccounts.Settings(Path.of("/home"), 20_000, 59_999));
  }

  private static String passwdLine(String name) {
    return run("getent", "passwd", name).strip();
  }

  private static String percentDecode(String encoded) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        out.write(HexFormat.fromHexDigits(encoded, i + 1, i + 3));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String run(String... command) {
    Optional<String> output = execute(command);
    return output.orElseThrow(() -> new AssertionError(String.join(" ", command) + " failed"));
  }

  private static int exit(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Optional<String> execute(String... command) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
      builder.environment().put("LC_ALL", "C");
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return process.waitFor() == 0 ? Optional.of(output) : Optional.empty();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
