package dev.sandcastle.core.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PathOutsideWorkspace;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adversarial paths and links. The workspace holds links pointing out of it, to a temporary
 * "outside" directory with a secret; after every test the outside must be exactly as it was.
 */
class ConfinementTest {
  static final String HOME = "/home/user";
  static final String SECRET = "TOP SECRET";
  static final OptionalInt NONE = OptionalInt.empty();

  @TempDir Path base;
  Path root;
  Path outside;
  WorkspaceFiles files;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectory(base.resolve("ws"));
    outside = Files.createDirectory(base.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), SECRET);
    Files.createSymbolicLink(root.resolve("escape"), outside); // absolute host path
    Files.createSymbolicLink(root.resolve("escape-rel"), Path.of("../outside")); // climbs out
    Files.createSymbolicLink(root.resolve("secret-link"), outside.resolve("secret.txt"));
    Files.writeString(root.resolve("mine.txt"), "mine");
    files = new WorkspaceFiles(root, HOME, Owner.NONE, FileLimits.defaults());
  }

  @AfterEach
  void outsideIsUntouched() throws IOException {
    try (Stream<Path> all = Files.walk(outside)) {
      assertThat(all.map(p -> outside.relativize(p).toString()))
          .as("nothing created or deleted outside the workspace")
          .containsExactlyInAnyOrder("", "secret.txt");
    }
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo(SECRET);
  }

  /** Gives what a test made in the workspace to the workspace's user (a subclass runs as one). */
  void fixturesBelongToTheSandbox() throws IOException {}

  static void refused(ThrowingCallable operation) {
    assertThatThrownBy(operation).isInstanceOf(PathOutsideWorkspace.class);
  }

  @Test
  void dotDotAndAbsolutePathsOutsideHomeAreRefusedLexically() {
    refused(() -> files.resolve("../../etc/passwd", ""));
    refused(() -> files.resolve("..", ""));
    refused(() -> files.resolve("/etc/passwd", ""));
    refused(() -> files.resolve("~/../other/x", ""));
    refused(() -> files.resolve("/home/username/x", "")); // a sibling sharing the prefix
    refused(() -> files.resolve("x", "/tmp"));
    refused(() -> files.resolve("a/../../..", "/home/user/a"));
    refused(() -> files.read("/etc/passwd", "", NONE, NONE));
    refused(() -> files.read("../../../../../../etc/shadow", "", NONE, NONE));
    refused(() -> files.list("/", ""));
    refused(() -> files.write("../outside/new.txt", "", "x"));
    refused(() -> files.delete("../outside/secret.txt", ""));
    refused(() -> files.upload("../outside", "", "x", InputStream.nullInputStream()));
  }

  @Test
  void malformedPathsAreBadRequests() {
    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () -> files.resolve("", ""),
            () -> files.read("a\0b", "", NONE, NONE),
            () -> files.write("evil\0.txt", "", "x"),
            () -> files.list("x".repeat(5000), ""),
            () -> files.mkdir("dir", "bad\0cwd"))) {
      assertThatThrownBy(call).isInstanceOf(BadRequest.class);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"escape", "escape-rel"})
  void aLinkToADirectoryOutsideIsRefusedByEveryOperation(String link) throws IOException {
    String secret = link + "/secret.txt";

    refused(() -> files.read(secret, "", NONE, NONE));
    refused(() -> files.openRaw(secret, ""));
    refused(() -> files.display(secret, ""));
    refused(() -> files.list(link, ""));
    refused(() -> files.directory(link, ""));
    refused(() -> files.write(link + "/new.txt", "", "x"));
    refused(() -> files.write(secret, "", "overwritten"));
    refused(() -> files.replace(secret, "", List.of(Replacement.of("TOP", "NOT"))));
    refused(() -> files.mkdir(link + "/sub", ""));
    refused(() -> files.mkdir(link + "/a/b/c", ""));
    refused(() -> files.upload(link, "", "up.txt", new ByteArrayInputStream("x".getBytes(UTF_8))));
    refused(() -> files.delete(secret, ""));
    refused(() -> files.move(secret, "stolen.txt", ""));
    refused(() -> files.move("mine.txt", link + "/mine.txt", ""));
    refused(() -> files.grep(new GrepQuery("SECRET", link, "", false, false, List.of(), true, 10)));
    refused(() -> files.glob(new GlobQuery("*", link, "", List.of(), "any", 10)));
    refused(() -> files.archive(List.of(link), "", new ByteArrayOutputStream()));
    refused(() -> files.archive(List.of(secret), "", new ByteArrayOutputStream()));
    refused(() -> files.read("x", link, NONE, NONE)); // as a working directory too

    assertThat(root.resolve("stolen.txt")).doesNotExist();
    assertThat(Files.readString(root.resolve("mine.txt"))).isEqualTo("mine");
  }

  @Test
  void aLinkToAFileOutsideIsNeitherReadNorWrittenThrough() throws IOException {
    Files.createSymbolicLink(root.resolve("passwd"), Path.of("/etc/passwd"));

    refused(() -> files.read("secret-link", "", NONE, NONE));
    refused(() -> files.read("passwd", "", NONE, NONE));
    refused(() -> files.openRaw("secret-link", ""));
    refused(() -> files.write("secret-link", "", "overwritten"));
    refused(() -> files.replace("secret-link", "", List.of(Replacement.of("TOP", "NOT"))));
    refused(() -> files.upload(".", "", "secret-link", InputStream.nullInputStream()));
    assertThat(Files.isSymbolicLink(root.resolve("secret-link"))).isTrue();
    Files.delete(root.resolve("passwd")); // spare JUnit's clean-up a link out of its temp dir
  }

  @Test
  void aDanglingLinkPointingOutsideCreatesNothingThere() {
    try {
      Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("planted.txt"));
      Files.createSymbolicLink(root.resolve("dangling-dir"), outside.resolve("planted-dir"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }

    refused(() -> files.write("dangling", "", "x"));
    refused(() -> files.mkdir("dangling-dir", ""));
    refused(() -> files.write("dangling-dir/x.txt", "", "x"));
  }

  @Test
  void walksFromHomeNeverDescendIntoLinksThatLeave() throws IOException {
    GrepResult grep =
        files.grep(new GrepQuery(SECRET, ".", "", false, false, List.of(), true, 50));
    GlobResult glob = files.glob(new GlobQuery("**/*", ".", "", List.of(), "any", 100));
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    files.archive(List.of("~"), "", zip);

    assertThat(grep.matches()).isEmpty();
    assertThat(glob.matches())
        .extracting(GlobMatch::path)
        .containsExactlyInAnyOrder(
            "/home/user/escape", "/home/user/escape-rel", "/home/user/mine.txt",
            "/home/user/secret-link");
    assertThat(glob.matches())
        .filteredOn(m -> m.path().contains("escape"))
        .extracting(GlobMatch::type)
        .containsOnly(FileType.SYMLINK);
    assertThat(zipNames(zip.toByteArray())).containsExactly("mine.txt");
    assertThat(files.list("~", "").entries())
        .filteredOn(e -> e.name().startsWith("escape"))
        .extracting(FileEntry::type)
        .containsOnly(FileType.SYMLINK);
  }

  @Test
  void deletingALinkRemovesTheLinkNotWhatItPointsTo() {
    assertThat(files.delete("escape", "")).isEqualTo(new Deleted("/home/user/escape", FileType.SYMLINK));
    assertThat(files.delete("secret-link", "").type()).isEqualTo(FileType.SYMLINK);

    assertThat(Files.exists(root.resolve("escape"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(Files.exists(root.resolve("secret-link"), LinkOption.NOFOLLOW_LINKS)).isFalse();
  }

  @Test
  void deletingATreeThatContainsOutwardLinksKeepsTheirTargets() throws IOException {
    Files.createDirectories(root.resolve("tree/deep"));
    Files.createSymbolicLink(root.resolve("tree/deep/out"), outside);
    Files.createSymbolicLink(root.resolve("tree/file-out"), outside.resolve("secret.txt"));
    fixturesBelongToTheSandbox();

    files.delete("tree", "");

    assertThat(root.resolve("tree")).doesNotExist();
  }

  @Test
  void movingAnOutwardLinkMovesOnlyTheLink() throws IOException {
    files.move("escape", "moved-escape", "");

    assertThat(Files.readSymbolicLink(root.resolve("moved-escape"))).isEqualTo(outside);
    refused(() -> files.read("moved-escape/secret.txt", "", NONE, NONE));
  }

  @Test
  void linksThatStayInsideAreFollowed() throws IOException {
    Files.createDirectories(root.resolve("sub/inner"));
    Files.writeString(root.resolve("real.txt"), "real\n");
    Files.writeString(root.resolve("sub/inner/deep.txt"), "deep\n");
    Files.createSymbolicLink(root.resolve("alias.txt"), Path.of("real.txt"));
    Files.createSymbolicLink(root.resolve("abs-alias.txt"), Path.of("/home/user/real.txt"));
    Files.createSymbolicLink(root.resolve("dir-alias"), Path.of("sub/inner"));
    Files.createSymbolicLink(root.resolve("sub/up"), Path.of(".."));
    Files.createSymbolicLink(root.resolve("chain"), Path.of("alias.txt"));
    fixturesBelongToTheSandbox();

    assertThat(text("alias.txt")).isEqualTo("real\n");
    assertThat(text("abs-alias.txt")).isEqualTo("real\n");
    assertThat(text("chain")).isEqualTo("real\n");
    assertThat(text("dir-alias/deep.txt")).isEqualTo("deep\n");
    assertThat(text("sub/up/real.txt")).isEqualTo("real\n");
    assertThat(files.read("alias.txt", "", NONE, NONE).path()).isEqualTo("/home/user/alias.txt");
    assertThat(files.list("dir-alias", "").entries()).extracting(FileEntry::name).containsExactly("deep.txt");
    assertThat(files.directory("sub/up", "")).isEqualTo("/home/user/sub/up");

    files.write("alias.txt", "", "written through\n");
    files.write("dir-alias/new.txt", "", "new\n");

    assertThat(Files.readString(root.resolve("real.txt"))).isEqualTo("written through\n");
    assertThat(Files.isSymbolicLink(root.resolve("alias.txt"))).isTrue();
    assertThat(Files.readString(root.resolve("sub/inner/new.txt"))).isEqualTo("new\n");
  }

  @Test
  void aDanglingLinkInsideIsWrittenThroughToItsTarget() throws IOException {
    Files.createSymbolicLink(root.resolve("later.txt"), Path.of("made/by/link.txt"));

    files.write("later.txt", "", "hello");

    assertThat(Files.readString(root.resolve("made/by/link.txt"))).isEqualTo("hello");
  }

  @Test
  void hostPathsInLinksAreNotViewPaths() throws IOException {
    // Inside the sandbox the workspace is /home/user; a link holding the host path would
    // dangle there, so we refuse it rather than guess.
    Files.writeString(root.resolve("real.txt"), "real");
    Files.createSymbolicLink(root.resolve("hostpath"), root.resolve("real.txt"));

    refused(() -> files.read("hostpath", "", NONE, NONE));
  }

  @Test
  void aLinkClimbingAboveHomeIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("up"), Path.of(".."));
    Files.createSymbolicLink(root.resolve("far"), Path.of("/home/user/../other"));

    refused(() -> files.list("up", ""));
    refused(() -> files.read("up/outside/secret.txt", "", NONE, NONE));
    refused(() -> files.list("far", ""));
  }

  @Test
  void linkLoopsAreRefusedCleanly() throws IOException {
    Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
    Files.createSymbolicLink(root.resolve("loop2"), Path.of("loop1"));
    Files.createSymbolicLink(root.resolve("self"), Path.of("self/again"));

    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () -> files.read("loop1", "", NONE, NONE),
            () -> files.write("loop2", "", "x"),
            () -> files.mkdir("loop1/x", ""),
            () -> files.list("self", ""))) {
      assertThatThrownBy(call)
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("symbolic links");
    }
    assertThat(files.delete("loop1", "").type()).isEqualTo(FileType.SYMLINK);
  }

  @Test
  void chainsOfLinksAreCappedAtFortyHops() throws IOException {
    Files.writeString(root.resolve("end.txt"), "end");
    Files.createSymbolicLink(root.resolve("hop0"), Path.of("end.txt"));
    for (int i = 1; i <= 40; i++) {
      Files.createSymbolicLink(root.resolve("hop" + i), Path.of("hop" + (i - 1)));
    }

    assertThat(text("hop39")).isEqualTo("end");
    assertThatThrownBy(() -> files.read("hop40", "", NONE, NONE)).isInstanceOf(BadRequest.class);
  }

  private String text(String path) {
    return ((TextContent) files.read(path, "", NONE, NONE)).content();
  }

  private static List<String> zipNames(byte[] zip) throws IOException {
    List<String> names = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        names.add(entry.getName());
      }
    }
    return names;
  }
}
