package dev.sandcastle.core.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.PayloadTooLarge;
import dev.sandcastle.core.errors.UnsupportedMedia;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceFilesTest {
  static final String HOME = "/home/user";
  static final byte[] PNG =
      HexFormat.of()
          .parseHex(
              "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                  + "0000000d4944415478da63fcff9fa10f0005fe02fea7d6a4a00000000049454e44ae426082");

  @TempDir Path base;
  Path root;
  WorkspaceFiles files;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectory(base.resolve("ws"));
    files = new WorkspaceFiles(root, HOME, Owner.NONE, FileLimits.defaults());
  }

  @AfterEach
  void tearDown() {
    files.close();
  }

  static OptionalInt line(int n) {
    return OptionalInt.of(n);
  }

  static final OptionalInt NONE = OptionalInt.empty();

  String text(String path) {
    return ((TextContent) files.read(path, "", NONE, NONE)).content();
  }

  void put(String relative, String content) throws IOException {
    Path file = root.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  @Test
  void resolvesRelativeAbsoluteAndTildePathsToViewPaths() {
    assertThat(files.home()).isEqualTo(HOME);
    assertThat(files.resolve("a/b.txt", "")).isEqualTo("/home/user/a/b.txt");
    assertThat(files.resolve("b.txt", "/home/user/a")).isEqualTo("/home/user/a/b.txt");
    assertThat(files.resolve("b.txt", "a")).isEqualTo("/home/user/a/b.txt");
    assertThat(files.resolve("../c", "/home/user/a")).isEqualTo("/home/user/c");
    assertThat(files.resolve("/home/user/./x//y/", "")).isEqualTo("/home/user/x/y");
    assertThat(files.resolve("~", "/home/user/a")).isEqualTo(HOME);
    assertThat(files.resolve("~/notes", "/home/user/a")).isEqualTo("/home/user/notes");
    assertThat(files.resolve(".", "")).isEqualTo(HOME);
  }

  @Nested
  class Reading {
    @Test
    void writeThenReadRoundTripsTextAndCountsLines() throws IOException {
      Written written = files.write("notes/todo.txt", "", "one\ntwo\nthree\n");

      assertThat(written).isEqualTo(new Written("/home/user/notes/todo.txt", 14));
      assertThat(Files.readString(root.resolve("notes/todo.txt"))).isEqualTo("one\ntwo\nthree\n");
      assertThat(files.read("notes/todo.txt", "", NONE, NONE))
          .isEqualTo(new TextContent("/home/user/notes/todo.txt", 3, "one\ntwo\nthree\n"));
    }

    @Test
    void lineRangesAreOneBasedInclusiveAndCutAtTheEnd() throws IOException {
      StringBuilder lines = new StringBuilder();
      for (int i = 1; i <= 10; i++) {
        lines.append("line ").append(i).append('\n');
      }
      put("ten.txt", lines.toString().stripTrailing()); // last line without newline

      assertThat(files.read("ten.txt", "", line(3), line(5)))
          .isEqualTo(new TextContent("/home/user/ten.txt", 10, "line 3\nline 4\nline 5\n"));
      assertThat(((TextContent) files.read("ten.txt", "", line(9), NONE)).content())
          .isEqualTo("line 9\nline 10");
      assertThat(((TextContent) files.read("ten.txt", "", NONE, line(1))).content())
          .isEqualTo("line 1\n");
      assertThat(((TextContent) files.read("ten.txt", "", line(8), line(99))).content())
          .isEqualTo("line 8\nline 9\nline 10");
      assertThat(((TextContent) files.read("ten.txt", "", line(50), NONE)).content()).isEmpty();
      assertThatThrownBy(() -> files.read("ten.txt", "", line(5), line(3)))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("end_line");
      assertThatThrownBy(() -> files.read("ten.txt", "", line(0), NONE))
          .isInstanceOf(BadRequest.class);
    }

    @Test
    void aFileOverTheReadLimitIsRefusedWholeButReadableInLineRanges() throws IOException {
      files = new WorkspaceFiles(root, HOME, Owner.NONE, new FileLimits(1000, 1000, 10, 10, 1000));
      StringBuilder big = new StringBuilder();
      for (int i = 1; i <= 500; i++) {
        big.append("row ").append(i).append('\n');
      }
      put("big.txt", big.toString());

      assertThatThrownBy(() -> files.read("big.txt", "", NONE, NONE))
          .isInstanceOf(PayloadTooLarge.class)
          .hasMessageContaining("start_line");
      assertThat(files.read("big.txt", "", line(400), line(401)))
          .isEqualTo(new TextContent("/home/user/big.txt", 500, "row 400\nrow 401\n"));
      assertThatThrownBy(() -> files.read("big.txt", "", line(1), line(400)))
          .isInstanceOf(PayloadTooLarge.class);
    }

    @Test
    void imagesComeBackAsBytesOtherBinariesAre415() throws IOException {
      Files.write(root.resolve("dot.png"), PNG);
      Files.write(root.resolve("no-extension"), PNG);
      put("logo.svg", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
      Files.write(root.resolve("program.bin"), new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 1});
      Files.write(root.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
      put("fake.png", "not really an image\n");

      assertThat(files.read("dot.png", "", NONE, NONE))
          .isInstanceOfSatisfying(
              BinaryContent.class,
              b -> {
                assertThat(b.mimeType()).isEqualTo("image/png");
                assertThat(b.bytes()).isEqualTo(PNG);
                assertThat(b.path()).isEqualTo("/home/user/dot.png");
              });
      assertThat(files.read("no-extension", "", NONE, NONE))
          .isInstanceOfSatisfying(
              BinaryContent.class, b -> assertThat(b.mimeType()).isEqualTo("image/png"));
      assertThat(files.read("logo.svg", "", NONE, NONE))
          .isInstanceOfSatisfying(
              BinaryContent.class, b -> assertThat(b.mimeType()).isEqualTo("image/svg+xml"));
      assertThatThrownBy(() -> files.read("program.bin", "", NONE, NONE))
          .isInstanceOf(UnsupportedMedia.class)
          .hasMessageContaining("binary");
      assertThatThrownBy(() -> files.read("latin1.txt", "", NONE, NONE))
          .isInstanceOf(UnsupportedMedia.class);
      assertThat(text("fake.png")).isEqualTo("not really an image\n");
    }

    @Test
    void readingADirectoryIs400AndAMissingFile404() throws IOException {
      Files.createDirectory(root.resolve("dir"));

      assertThatThrownBy(() -> files.read("dir", "", NONE, NONE))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("/home/user/dir");
      assertThatThrownBy(() -> files.read("missing.txt", "", NONE, NONE))
          .isInstanceOf(NotFound.class)
          .hasMessageContaining("/home/user/missing.txt");
      assertThatThrownBy(() -> files.read("missing/deeper.txt", "", NONE, NONE))
          .isInstanceOf(NotFound.class);
    }

    @Test
    void listShowsDirectoriesFirstThenNamesWithTypesSizesAndUtcTimes() throws IOException {
      put("b.txt", "12345");
      put("a.txt", "1");
      Files.createDirectory(root.resolve("zdir"));
      Files.createDirectory(root.resolve("adir"));
      Files.createSymbolicLink(root.resolve("link"), Path.of("a.txt"));

      DirectoryListing listing = files.list(".", "");

      assertThat(listing.dir()).isEqualTo(HOME);
      assertThat(listing.entries())
          .extracting(FileEntry::name)
          .containsExactly("adir", "zdir", "a.txt", "b.txt", "link");
      assertThat(listing.entries())
          .extracting(FileEntry::type)
          .containsExactly(
              FileType.DIRECTORY, FileType.DIRECTORY, FileType.FILE, FileType.FILE,
              FileType.SYMLINK);
      assertThat(listing.entries().get(3).size()).isEqualTo(5);
      assertThat(listing.entries().get(3).modified())
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
      assertThat(files.list("adir", "").entries()).isEmpty();
      assertThatThrownBy(() -> files.list("a.txt", "")).isInstanceOf(BadRequest.class);
      assertThatThrownBy(() -> files.list("nope", "")).isInstanceOf(NotFound.class);
    }

    @Test
    void openRawStreamsBytesWithAMimeTypeFromTheExtension() throws IOException {
      put("site/index.html", "<h1>hi</h1>");
      Files.write(root.resolve("site/dot.png"), PNG);
      put("site/data.unknownext", "x");

      try (RawFile raw = files.openRaw("site/index.html", "")) {
        assertThat(raw.path()).isEqualTo("/home/user/site/index.html");
        assertThat(raw.mimeType()).isEqualTo("text/html");
        assertThat(raw.size()).isEqualTo(11);
        assertThat(new String(raw.stream().readAllBytes(), UTF_8)).isEqualTo("<h1>hi</h1>");
      }
      try (RawFile raw = files.openRaw("site/dot.png", "")) {
        assertThat(raw.mimeType()).isEqualTo("image/png");
        assertThat(raw.stream().readAllBytes()).isEqualTo(PNG);
      }
      try (RawFile raw = files.openRaw("site/data.unknownext", "")) {
        assertThat(raw.mimeType()).isEqualTo("application/octet-stream");
      }
      assertThatThrownBy(() -> files.openRaw("site", "")).isInstanceOf(BadRequest.class);
      assertThatThrownBy(() -> files.openRaw("site/none.css", "")).isInstanceOf(NotFound.class);
    }

    @Test
    void displayTellsWhetherAFileExists() throws IOException {
      put("report.md", "# hi");
      Files.createDirectory(root.resolve("dir"));

      assertThat(files.display("report.md", "")).isEqualTo(new Display("/home/user/report.md", true));
      assertThat(files.display("gone.md", "")).isEqualTo(new Display("/home/user/gone.md", false));
      assertThat(files.display("no/such/dir.md", "").exists()).isFalse();
      assertThat(files.display("dir", "").exists()).isFalse();
    }

    @Test
    void directoryAcceptsOnlyExistingDirectories() throws IOException {
      put("proj/readme.md", "x");

      assertThat(files.directory("proj", "")).isEqualTo("/home/user/proj");
      assertThat(files.directory("~", "/home/user/proj")).isEqualTo(HOME);
      assertThatThrownBy(() -> files.directory("proj/readme.md", "")).isInstanceOf(BadRequest.class);
      assertThatThrownBy(() -> files.directory("nope", "")).isInstanceOf(NotFound.class);
    }
  }

  @Nested
  class Writing {
    @Test
    void writeReplacesAnExistingFileAndKeepsItsPermissions() throws IOException {
      put("run.sh", "echo old\n");
      Files.setPosixFilePermissions(root.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));

      files.write("run.sh", "", "echo new\n");

      assertThat(Files.readString(root.resolve("run.sh"))).isEqualTo("echo new\n");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("run.sh"))))
          .isEqualTo("rwxr-x---");
      try (var stream = Files.list(root)) {
        assertThat(stream.map(p -> p.getFileName().toString())).containsExactly("run.sh");
      }
    }

    @Test
    void writeRefusesDirectoriesAndOversizedContent() throws IOException {
      files = new WorkspaceFiles(root, HOME, Owner.NONE, new FileLimits(100, 10, 10, 10, 100));
      Files.createDirectory(root.resolve("dir"));
      put("file.txt", "x");

      assertThatThrownBy(() -> files.write("dir", "", "x")).isInstanceOf(Conflict.class);
      assertThatThrownBy(() -> files.write("~", "", "x")).isInstanceOf(Conflict.class);
      assertThatThrownBy(() -> files.write("file.txt/child", "", "x")).isInstanceOf(Conflict.class);
      assertThatThrownBy(() -> files.write("big.txt", "", "01234567890"))
          .isInstanceOf(PayloadTooLarge.class);
      assertThat(root.resolve("big.txt")).doesNotExist();
    }

    @Test
    void replaceEditsExactStringsInOrder() throws IOException {
      put("app.py", "def main():\n    print('hello')\n");

      Written written =
          files.replace(
              "app.py",
              "",
              List.of(
                  Replacement.of("print('hello')", "print('hi')"),
                  Replacement.of("'hi'", "'hi there'")));

      assertThat(Files.readString(root.resolve("app.py")))
          .isEqualTo("def main():\n    print('hi there')\n");
      assertThat(written).isEqualTo(new Written("/home/user/app.py", 34));
    }

    @Test
    void replaceReportsAMissingTargetByNameAndWritesNothing() throws IOException {
      put("app.py", "x = 1\n");

      assertThatThrownBy(
              () -> files.replace("app.py", "", List.of(Replacement.of("y = 2", "y = 3"))))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("not found")
          .hasMessageContaining("'y = 2'");
      assertThat(Files.readString(root.resolve("app.py"))).isEqualTo("x = 1\n");
    }

    @Test
    void replaceRefusesAnAmbiguousTargetUnlessAllowedOrNarrowedByLines() throws IOException {
      put("c.txt", "a = 0\nb = 0\nc = 0\n");

      assertThatThrownBy(() -> files.replace("c.txt", "", List.of(Replacement.of("= 0", "= 1"))))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("3 times")
          .hasMessageContaining("start_line")
          .hasMessageContaining("allow_multiple");
      assertThat(Files.readString(root.resolve("c.txt"))).isEqualTo("a = 0\nb = 0\nc = 0\n");

      files.replace("c.txt", "", List.of(new Replacement("= 0", "= 2", line(2), line(2), false)));
      assertThat(Files.readString(root.resolve("c.txt"))).isEqualTo("a = 0\nb = 2\nc = 0\n");

      files.replace("c.txt", "", List.of(new Replacement("= 0", "= 9", NONE, NONE, true)));
      assertThat(Files.readString(root.resolve("c.txt"))).isEqualTo("a = 9\nb = 2\nc = 9\n");

      assertThatThrownBy(
              () ->
                  files.replace(
                      "c.txt", "", List.of(new Replacement("a = 9", "x", line(2), line(3), false))))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("lines 2-3");
    }

    @Test
    void replaceRefusesBinaryFilesAndMissingOnes() throws IOException {
      Files.write(root.resolve("blob"), new byte[] {1, 0, 2});

      assertThatThrownBy(() -> files.replace("blob", "", List.of(Replacement.of("a", "b"))))
          .isInstanceOf(UnsupportedMedia.class);
      assertThatThrownBy(() -> files.replace("none", "", List.of(Replacement.of("a", "b"))))
          .isInstanceOf(NotFound.class);
    }

    @Test
    void mkdirCreatesParentsAcceptsExistingDirectoriesAndRefusesFiles() throws IOException {
      assertThat(files.mkdir("a/b/c", "")).isEqualTo("/home/user/a/b/c");
      assertThat(root.resolve("a/b/c")).isDirectory();
      assertThat(files.mkdir("a/b", "")).isEqualTo("/home/user/a/b");
      put("a/file", "x");

      assertThatThrownBy(() -> files.mkdir("a/file", "")).isInstanceOf(Conflict.class);
      assertThatThrownBy(() -> files.mkdir("a/file/sub", "")).isInstanceOf(Conflict.class);
      try (var stream = Files.list(root)) {
        assertThat(stream.map(p -> p.getFileName().toString()))
            .as("no staging directory left behind")
            .containsExactly("a");
      }
    }

    @Test
    void deleteRemovesFilesAndWholeTrees() throws IOException {
      put("tree/x/y/z.txt", "z");
      put("tree/top.txt", "t");
      put("single.txt", "s");

      assertThat(files.delete("single.txt", "")).isEqualTo(new Deleted("/home/user/single.txt", FileType.FILE));
      assertThat(files.delete("tree", "")).isEqualTo(new Deleted("/home/user/tree", FileType.DIRECTORY));
      assertThat(root.resolve("single.txt")).doesNotExist();
      assertThat(root.resolve("tree")).doesNotExist();
      assertThatThrownBy(() -> files.delete("tree", "")).isInstanceOf(NotFound.class);
      assertThatThrownBy(() -> files.delete("~", "")).isInstanceOf(BadRequest.class);
      assertThatThrownBy(() -> files.delete(".", "/home/user")).isInstanceOf(BadRequest.class);
      assertThat(root).isDirectory();
    }

    @Test
    void moveRenamesAndReportsMissingExistingAndSelfNesting() throws IOException {
      put("src/a.txt", "a");
      put("other.txt", "o");

      assertThat(files.move("src/a.txt", "src/b.txt", ""))
          .isEqualTo(new Moved("/home/user/src/a.txt", "/home/user/src/b.txt"));
      assertThat(Files.readString(root.resolve("src/b.txt"))).isEqualTo("a");
      assertThat(root.resolve("src/a.txt")).doesNotExist();

      files.move("src", "dst", "");
      assertThat(root.resolve("dst/b.txt")).exists();

      assertThatThrownBy(() -> files.move("nope", "x", "")).isInstanceOf(NotFound.class);
      assertThatThrownBy(() -> files.move("dst/b.txt", "other.txt", ""))
          .isInstanceOf(Conflict.class);
      assertThat(Files.readString(root.resolve("other.txt"))).isEqualTo("o");
      assertThatThrownBy(() -> files.move("dst", "dst/inner", ""))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("into itself");
      assertThatThrownBy(() -> files.move("other.txt", "no/such/dir/x.txt", ""))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("parent");
      assertThatThrownBy(() -> files.move("~", "elsewhere", "")).isInstanceOf(BadRequest.class);
    }

    @Test
    void moveIntoItselfThroughALinkIsRefused() throws IOException {
      Files.createDirectories(root.resolve("dir/sub"));
      Files.createSymbolicLink(root.resolve("alias"), Path.of("dir/sub"));

      assertThatThrownBy(() -> files.move("dir", "alias/moved", ""))
          .isInstanceOf(BadRequest.class);
      assertThat(root.resolve("dir/sub")).isDirectory();
    }

    @Test
    void uploadKeepsOnlyTheLastNameSegment() throws IOException {
      Files.createDirectory(root.resolve("uploads"));

      Written written =
          files.upload("uploads", "", "../../x", new ByteArrayInputStream("data".getBytes(UTF_8)));

      assertThat(written).isEqualTo(new Written("/home/user/uploads/x", 4));
      assertThat(Files.readString(root.resolve("uploads/x"))).isEqualTo("data");
      assertThat(files.upload("uploads", "", "C:\\Users\\me\\pic.png", InputStream.nullInputStream()).path())
          .isEqualTo("/home/user/uploads/pic.png");
      assertThat(files.upload("new/dir", "", "a\u0007b.txt", InputStream.nullInputStream()).path())
          .isEqualTo("/home/user/new/dir/ab.txt");
      for (String bad : List.of("", ".", "..", "a/..", "dir/", "\u0001")) {
        assertThatThrownBy(() -> files.upload("uploads", "", bad, InputStream.nullInputStream()))
            .as(bad)
            .isInstanceOf(BadRequest.class);
      }
    }

    @Test
    void anOversizedUploadStopsAndLeavesNothingBehind() throws IOException {
      files = new WorkspaceFiles(root, HOME, Owner.NONE, new FileLimits(100, 1000, 10, 10, 100));
      Files.createDirectory(root.resolve("up"));
      byte[] tooMuch = new byte[5000];

      assertThatThrownBy(
              () -> files.upload("up", "", "big.bin", new ByteArrayInputStream(tooMuch)))
          .isInstanceOf(PayloadTooLarge.class);
      try (var stream = Files.list(root.resolve("up"))) {
        assertThat(stream).as("neither the file nor its temporary file").isEmpty();
      }
    }

    @Test
    void newFilesAndDirectoriesBelongToTheWorkspaceOwner() throws IOException {
      assumeThat(System.getProperty("user.name")).isEqualTo("root");
      files.close();
      root = OwnerRightsTest.ownersHome(base, 4242, 4343);
      files = new WorkspaceFiles(root, HOME, new Owner(4242, 4343), FileLimits.defaults());

      files.write("deep/er/file.txt", "", "x");
      files.mkdir("made/here", "");
      files.upload("uploads", "", "u.bin", new ByteArrayInputStream(new byte[3]));

      for (String made :
          List.of("deep", "deep/er", "deep/er/file.txt", "made", "made/here", "uploads", "uploads/u.bin")) {
        Path p = root.resolve(made);
        assertThat(Files.getAttribute(p, "unix:uid")).as(made).isEqualTo(4242);
        assertThat(Files.getAttribute(p, "unix:gid")).as(made).isEqualTo(4343);
      }
    }
  }

  @Nested
  class Searching {
    GrepQuery grep(String query, boolean regex, boolean caseInsensitive, List<String> include, boolean perLine, int max) {
      return new GrepQuery(query, ".", "", regex, caseInsensitive, include, perLine, max);
    }

    @BeforeEach
    void project() throws IOException {
      put("src/app.py", "import os\ndef main():\n    return os.getcwd()\n");
      put("src/util.py", "def helper():\n    return 'MAIN'\n");
      put("README.md", "Run main() to start.\nabc\n");
      put("node_modules/lib/index.js", "function main() {}\n");
      put(".git/config", "main = yes\n");
      Files.write(root.resolve("src/data.bin"), new byte[] {'m', 'a', 'i', 'n', 0, 1});
    }

    @Test
    void grepFindsRegexMatchesWithFileLineAndContent() {
      GrepResult result = files.grep(grep("def \\w+\\(", true, false, List.of(), true, 50));

      assertThat(result.query()).isEqualTo("def \\w+\\(");
      assertThat(result.path()).isEqualTo(HOME);
      assertThat(result.truncated()).isFalse();
      assertThat(result.matches())
          .containsExactly(
              new GrepMatch("/home/user/src/app.py", 2, "def main():"),
              new GrepMatch("/home/user/src/util.py", 1, "def helper():"));
    }

    @Test
    void grepSkipsBinaryFilesGitAndNodeModules() {
      GrepResult result = files.grep(grep("main", false, false, List.of(), true, 50));

      assertThat(result.matches())
          .extracting(GrepMatch::file)
          .containsExactly("/home/user/README.md", "/home/user/src/app.py");
    }

    @Test
    void grepLiteralModeTreatsMetacharactersAsText() {
      assertThat(files.grep(grep("a.c", false, false, List.of(), true, 50)).matches()).isEmpty();
      assertThat(files.grep(grep("a.c", true, false, List.of(), true, 50)).matches())
          .extracting(GrepMatch::content)
          .containsExactly("abc");
      assertThat(files.grep(grep("main() to", false, false, List.of(), true, 50)).matches())
          .extracting(GrepMatch::file)
          .containsExactly("/home/user/README.md");
    }

    @Test
    void grepCaseInsensitiveAndIncludeFilters() {
      GrepResult sensitive = files.grep(grep("MAIN", false, false, List.of(), true, 50));
      GrepResult insensitive = files.grep(grep("MAIN", false, true, List.of("*.py"), true, 50));

      assertThat(sensitive.matches()).extracting(GrepMatch::file).containsExactly("/home/user/src/util.py");
      assertThat(insensitive.matches())
          .extracting(GrepMatch::file, GrepMatch::line)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("/home/user/src/app.py", 2),
              org.assertj.core.groups.Tuple.tuple("/home/user/src/util.py", 2));
    }

    @Test
    void grepMaxResultsTruncatesAndPerFileModeReportsEachFileOnce() {
      GrepResult limited = files.grep(grep("o", false, false, List.of(), true, 2));
      GrepResult perFile = files.grep(grep("r", false, false, List.of("*.py"), false, 50));

      assertThat(limited.matches()).hasSize(2);
      assertThat(limited.truncated()).isTrue();
      assertThat(perFile.matches())
          .containsExactly(
              new GrepMatch("/home/user/src/app.py", 1, "import os"),
              new GrepMatch("/home/user/src/util.py", 1, "def helper():"));
      assertThat(perFile.truncated()).isFalse();
    }

    @Test
    void grepOnASingleFileAndLongLinesAreCut() throws IOException {
      put("long.txt", "x".repeat(2000) + "needle\n");

      GrepResult result =
          files.grep(new GrepQuery("needle", "long.txt", "", false, false, List.of(), true, 5));

      assertThat(result.matches()).singleElement().satisfies(m -> {
        assertThat(m.file()).isEqualTo("/home/user/long.txt");
        assertThat(m.content()).hasSize(500);
      });
    }

    @Test
    void grepRejectsAnInvalidRegexWithItsError() {
      assertThatThrownBy(() -> files.grep(grep("(unclosed", true, false, List.of(), true, 5)))
          .isInstanceOf(BadRequest.class)
          .hasMessageContaining("Invalid regex")
          .hasMessageContaining("Unclosed group");
      assertThatThrownBy(() -> files.grep(new GrepQuery("x", "nope", "", false, false, List.of(), true, 5)))
          .isInstanceOf(NotFound.class);
    }

    @Test
    void globMatchesAtEveryDepthWithDoubleStarAndBareNames() {
      GlobResult recursive = files.glob(new GlobQuery("**/*.py", ".", "", List.of(), "any", 100));
      GlobResult bare = files.glob(new GlobQuery("*.md", ".", "", List.of(), "file", 100));
      GlobResult anchored = files.glob(new GlobQuery("src/*.py", ".", "", List.of(), "file", 100));

      assertThat(recursive.pattern()).isEqualTo("**/*.py");
      assertThat(recursive.path()).isEqualTo(HOME);
      assertThat(recursive.matches())
          .extracting(GlobMatch::path)
          .containsExactly("/home/user/src/app.py", "/home/user/src/util.py");
      assertThat(recursive.matches().getFirst().type()).isEqualTo(FileType.FILE);
      assertThat(recursive.matches().getFirst().size()).isEqualTo(45);
      assertThat(bare.matches()).extracting(GlobMatch::path).containsExactly("/home/user/README.md");
      assertThat(anchored.matches()).hasSize(2);
      assertThat(files.glob(new GlobQuery("*.py", "src", "", List.of(), "file", 100)).matches())
          .extracting(GlobMatch::path)
          .containsExactly("/home/user/src/app.py", "/home/user/src/util.py");
    }

    @Test
    void globFiltersByTypeExcludesAndTruncates() {
      GlobResult directories = files.glob(new GlobQuery("*", ".", "", List.of(".git", "node_modules"), "directory", 100));
      GlobResult excluded = files.glob(new GlobQuery("**/*", ".", "", List.of("node_modules", ".git", "*.py"), "file", 100));
      GlobResult limited = files.glob(new GlobQuery("**/*", ".", "", List.of(), "any", 3));

      assertThat(directories.matches()).extracting(GlobMatch::path).containsExactly("/home/user/src");
      assertThat(excluded.matches())
          .extracting(GlobMatch::path)
          .containsExactly("/home/user/README.md", "/home/user/src/data.bin");
      assertThat(limited.matches()).hasSize(3);
      assertThat(limited.truncated()).isTrue();
      assertThatThrownBy(() -> files.glob(new GlobQuery("*", "README.md", "", List.of(), "any", 3)))
          .isInstanceOf(BadRequest.class);
      assertThatThrownBy(() -> new GlobQuery("*", ".", "", List.of(), "socket", 3))
          .isInstanceOf(BadRequest.class);
    }
  }

  @Nested
  class Archiving {
    Map<String, String> unzip(byte[] zip) throws IOException {
      Map<String, String> entries = new TreeMap<>();
      try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
        ZipEntry entry;
        while ((entry = in.getNextEntry()) != null) {
          entries.put(entry.getName(), new String(in.readAllBytes(), UTF_8));
        }
      }
      return entries;
    }

    @Test
    void archiveZipsFilesAndDirectoriesWithNamesRelativeToHome() throws IOException {
      put("proj/src/main.py", "print(1)");
      put("proj/README.md", "readme");
      put("notes.txt", "n");
      Files.createDirectories(root.resolve("proj/empty"));
      ByteArrayOutputStream zip = new ByteArrayOutputStream();

      files.archive(List.of("proj", "/home/user/notes.txt"), "", zip);

      assertThat(unzip(zip.toByteArray()))
          .containsExactly(
              Map.entry("notes.txt", "n"),
              Map.entry("proj/", ""),
              Map.entry("proj/README.md", "readme"),
              Map.entry("proj/empty/", ""),
              Map.entry("proj/src/", ""),
              Map.entry("proj/src/main.py", "print(1)"));
    }

    @Test
    void archiveStopsOverTheLimitBeforeWritingAnything() throws IOException {
      files = new WorkspaceFiles(root, HOME, Owner.NONE, new FileLimits(100, 100, 10, 10, 10));
      put("a.txt", "0123456789abc");
      ByteArrayOutputStream zip = new ByteArrayOutputStream();

      assertThatThrownBy(() -> files.archive(List.of("a.txt"), "", zip))
          .isInstanceOf(PayloadTooLarge.class);
      assertThat(zip.size()).isZero();
      assertThatThrownBy(() -> files.archive(List.of("missing"), "", zip)).isInstanceOf(NotFound.class);
      assertThatThrownBy(() -> files.archive(new ArrayList<>(), "", zip)).isInstanceOf(BadRequest.class);
    }
  }
}
