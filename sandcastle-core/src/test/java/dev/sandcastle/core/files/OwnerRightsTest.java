package dev.sandcastle.core.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PathOutsideWorkspace;
import dev.sandcastle.core.errors.Unavailable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root server with a workspace owner: file operations run with the owner's rights, so the
 * kernel refuses what the owner may not do, and what they create is the owner's.
 */
class OwnerRightsTest {
  static final String HOME = "/home/user";
  static final int UID = 100_123;
  static final int GID = 100_124;
  static final int STRANGER = 100_999;
  static final OptionalInt ALL = OptionalInt.empty();

  @TempDir Path base;
  Path root;
  WorkspaceFiles files;

  @BeforeEach
  void setUp() throws IOException {
    assumeThat(ThreadCredentials.effectiveUid()).as("needs a root server").isZero();
    root = ownersHome(base, UID, GID);
    files = new WorkspaceFiles(root, HOME, new Owner(UID, GID), FileLimits.defaults());
  }

  @AfterEach
  void tearDown() {
    if (files != null) {
      files.close();
    }
  }

  /** A home as a workspace makes one: owned by the owner, mode 0700, below a searchable directory. */
  static Path ownersHome(Path base, int uid, int gid) throws IOException {
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = Files.createDirectory(base.resolve("home"));
    chown(home, uid, gid);
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    return home;
  }

  static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  /** A file root put in the owner's home that only root may read. */
  Path rootsSecret() throws IOException {
    Path secret = Files.writeString(root.resolve("secret.txt"), "root only\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    return secret;
  }

  /** A directory of another account, closed to everyone else, with a file in it. */
  Path strangersDirectory() throws IOException {
    Path dir = Files.createDirectory(root.resolve("private"));
    Files.writeString(dir.resolve("notes.txt"), "not yours\n");
    chown(dir.resolve("notes.txt"), STRANGER, STRANGER);
    chown(dir, STRANGER, STRANGER);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }

  @Test
  void betweenOperationsTheFileThreadsHoldTheServersIdentity() throws Exception {
    // A thread inherits its creator's credentials: if a file thread kept the owner's identity
    // while it hands a result over, a carrier thread the JDK starts right then would run virtual
    // threads as the owner. Between operations every file thread must be the server again.
    for (int i = 0; i < 50; i++) {
      files.write("note-" + i + ".txt", "", "x");
    }
    java.util.List<String> owners = new java.util.ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          String uidLine = Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("Uid:")).findFirst().orElse("");
          String fsuid = uidLine.trim().split("\\s+")[4];
          if (!fsuid.equals("0")) {
            owners.add(comm + " fsuid " + fsuid);
          }
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
          // the thread ended meanwhile
        }
      }
    }
    assertThat(owners).as("threads of this JVM with another file-system uid").isEmpty();
    // and a virtual thread started now can still do what root can
    Thread probe = Thread.ofVirtual().start(() -> {
      try {
        Path dir = Files.createTempDirectory("probe");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("x"), "ok");
        Files.delete(dir.resolve("x"));
        Files.delete(dir);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    probe.join();
  }

  @Test
  void aFileTheOwnerCannotReadCannotBeReadThroughTheWorkspace() throws IOException {
    rootsSecret();

    assertThatThrownBy(() -> files.read("secret.txt", "", ALL, ALL))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/secret.txt");
    assertThatThrownBy(() -> files.openRaw("~/secret.txt", ""))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/secret.txt");
    assertThatThrownBy(() -> files.replace("secret.txt", "", List.of(Replacement.of("root", "mine"))))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/secret.txt");
    assertThat(files.grep(new GrepQuery("root", ".", "", false, false, List.of(), true, 10)).matches())
        .as("grep skips what the owner cannot read")
        .isEmpty();
    assertThat(Files.readString(root.resolve("secret.txt"))).isEqualTo("root only\n");
  }

  @Test
  void whatIsWrittenBelongsToTheOwnerAndReadsBack() throws IOException {
    files.write("deep/er/file.txt", "", "hello\n");
    files.mkdir("made/here", "");
    files.upload("uploads", "", "u.bin", new ByteArrayInputStream(new byte[3]));

    for (String made :
        List.of("deep", "deep/er", "deep/er/file.txt", "made", "made/here", "uploads", "uploads/u.bin")) {
      Path p = root.resolve(made);
      assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(made).isEqualTo(UID);
      assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).as(made).isEqualTo(GID);
    }
    assertThat(((TextContent) files.read("deep/er/file.txt", "", ALL, ALL)).content()).isEqualTo("hello\n");
    assertThat(files.list("deep/er", "").entries()).extracting(FileEntry::name).containsExactly("file.txt");
  }

  @Test
  void theOwnerCannotWriteWhereOnlyRootMay() throws IOException {
    Path rootsDir = Files.createDirectory(root.resolve("system")); // root's, mode 0755

    assertThatThrownBy(() -> files.write("system/new.txt", "", "x"))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/system/new.txt");
    assertThatThrownBy(() -> files.mkdir("system/sub", ""))
        .isInstanceOf(BadRequest.class)
        .hasMessageStartingWith("Permission denied");
    assertThatThrownBy(() -> files.upload("system", "", "u.bin", new ByteArrayInputStream(new byte[1])))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/system/u.bin");
    try (var entries = Files.list(rootsDir)) {
      assertThat(entries).as("nothing created, not even a temporary file").isEmpty();
    }
  }

  @Test
  void aDirectoryOfAnotherAccountCannotBeListedNorEntered() throws IOException {
    strangersDirectory();

    assertThatThrownBy(() -> files.list("private", ""))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/private");
    assertThatThrownBy(() -> files.read("private/notes.txt", "", ALL, ALL))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/private/notes.txt");
    assertThatThrownBy(() -> files.delete("private/notes.txt", ""))
        .isInstanceOf(BadRequest.class)
        .hasMessage("Permission denied: /home/user/private/notes.txt");
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    files.archive(List.of("."), "", zip); // the walk skips what it cannot open
    assertThat(zip.toString(UTF_8)).doesNotContain("not yours");
    assertThat(root.resolve("private/notes.txt")).exists();
  }

  @Test
  void withoutAnOwnerTheServersRightsApplyAsBefore() throws IOException {
    files.close();
    rootsSecret();
    strangersDirectory();
    files = new WorkspaceFiles(root, HOME, Owner.NONE, FileLimits.defaults());

    assertThat(((TextContent) files.read("secret.txt", "", ALL, ALL)).content()).isEqualTo("root only\n");
    assertThat(files.list("private", "").entries()).extracting(FileEntry::name).containsExactly("notes.txt");
    files.write("private/notes.txt", "", "edited");
    assertThat(Files.getAttribute(root.resolve("private/notes.txt"), "unix:uid"))
        .as("a replaced file keeps its owner")
        .isEqualTo(STRANGER);
  }

  @Test
  void theServersOwnThreadsKeepTheirRights() throws Exception {
    Path secret = rootsSecret();
    files.write("a.txt", "", "x"); // the owner's threads have run

    assertThat(ThreadCredentials.current().fsuid()).isZero();
    assertThat(Files.readString(secret)).isEqualTo("root only\n");
    try (ExecutorService others = Executors.newFixedThreadPool(4)) {
      List<Future<String>> reads = others.invokeAll(
          IntStream.range(0, 8).<Callable<String>>mapToObj(i -> () -> Files.readString(secret)).toList());
      for (Future<String> read : reads) {
        assertThat(read.get()).isEqualTo("root only\n");
      }
    }
  }

  @Test
  void aStreamOpenedAsTheOwnerCanBeReadByTheCaller() throws IOException {
    Files.writeString(root.resolve("readable.txt"), "everyone may read this\n"); // root's, mode 0644

    try (RawFile raw = files.openRaw("readable.txt", "")) {
      assertThat(new String(raw.stream().readAllBytes(), UTF_8)).isEqualTo("everyone may read this\n");
    }
  }

  @Test
  void confinementStillHoldsWhereTheOwnerCouldReachOutside() throws IOException {
    Path outside = Files.createDirectory(base.resolve("outside"));
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(outside.resolve("open.txt"), "world readable\n");
    Files.createSymbolicLink(root.resolve("escape"), outside);

    assertThatThrownBy(() -> files.read("escape/open.txt", "", ALL, ALL)).isInstanceOf(PathOutsideWorkspace.class);
    assertThatThrownBy(() -> files.write("escape/new.txt", "", "x")).isInstanceOf(PathOutsideWorkspace.class);
    assertThat(outside.resolve("new.txt")).doesNotExist();
  }

  @Test
  void anOwnerWhoCannotOpenTheHomeFailsAtCreation() throws IOException {
    Path closed = Files.createDirectory(base.resolve("closed")); // root's
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));

    assertThatThrownBy(() -> new WorkspaceFiles(closed, HOME, new Owner(UID, GID), FileLimits.defaults()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("The workspace owner 100123:100124 cannot open the workspace directory");
  }

  @Test
  void afterCloseTheOwnersThreadsAreGoneAndOperationsAreRefused() {
    files.write("a.txt", "", "x");
    assertThat(ownerThreads()).isNotEmpty();

    files.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> ownerThreads().isEmpty());
    assertThatThrownBy(() -> files.list(".", "")).isInstanceOf(Unavailable.class);
  }

  private static List<Thread> ownerThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("files-" + UID + "-") && t.isAlive())
        .toList();
  }
}
