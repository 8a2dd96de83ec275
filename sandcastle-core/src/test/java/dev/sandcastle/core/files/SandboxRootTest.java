package dev.sandcastle.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.sandbox.SandboxView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file API's {@code /}: the sandbox's own root, looked up in its mount table. Host trees made
 * here stand for the system directories; the sandbox binds some of them, and a host directory it
 * does not bind holds a secret that no path, link or {@code ..} may reach.
 */
class SandboxRootTest {
  @TempDir Path base;
  Path home;
  Path system;
  Path secret;
  WorkspaceFiles files;

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createDirectories(base.resolve("home"));
    system = Files.createDirectories(base.resolve("system"));
    secret = Files.createDirectories(base.resolve("secret"));
    Files.writeString(secret.resolve("key.txt"), "the host's secret\n");
    Files.createDirectories(system.resolve("share/doc"));
    Files.writeString(system.resolve("share/doc/readme.txt"), "system docs\n");
    Files.createDirectories(system.resolve("bin"));
    Files.writeString(system.resolve("bin/tool"), "#!/bin/sh\n");
    Files.createSymbolicLink(system.resolve("share/absolute-out"), secret);                 // a host path the sandbox never sees
    Files.createSymbolicLink(system.resolve("share/relative-out"), Path.of("../../secret")); // out through ..
    Files.createSymbolicLink(system.resolve("share/docs"), Path.of("/usr/share/doc"));       // a sandbox path: fine
    Files.createSymbolicLink(home.resolve("escape"), secret);
    SandboxView view = SandboxView.ofBwrap(List.of("bwrap", "--unshare-pid", "--ro-bind", system.toString(), "/usr",
        "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", home.toString(), "/home/user",
        "--perms", "0755", "--dir", "/mnt", "--symlink", "/home/user/uploads", "/mnt/uploads", "--chdir", "/home/user"));
    files = new WorkspaceFiles(home, "/home/user", Owner.NONE, FileLimits.defaults(), Optional.of(view));
  }

  @AfterEach
  void tearDown() {
    files.close();
  }

  private Map<String, FileType> list(String dir) {
    return files.list(dir, "").entries().stream().collect(Collectors.toMap(FileEntry::name, FileEntry::type));
  }

  private String read(String path) {
    return ((TextContent) files.read(path, "", OptionalInt.empty(), OptionalInt.empty())).content();
  }

  @Test
  void slashListsWhatTheSandboxHasAndNothingElse() {
    assertThat(list("/")).containsOnly(Map.entry("usr", FileType.DIRECTORY), Map.entry("bin", FileType.SYMLINK),
        Map.entry("proc", FileType.DIRECTORY), Map.entry("tmp", FileType.DIRECTORY), Map.entry("home", FileType.DIRECTORY),
        Map.entry("mnt", FileType.DIRECTORY));
    assertThat(list("/home")).containsOnly(Map.entry("user", FileType.DIRECTORY));
    assertThat(list("/mnt")).containsOnly(Map.entry("uploads", FileType.SYMLINK));
    assertThat(list("/tmp")).as("a tmpfs of the sandbox: its content is only inside it").isEmpty();
    assertThat(list("/usr/share").keySet()).containsExactlyInAnyOrder("doc", "absolute-out", "relative-out", "docs");
    assertThat(list("/bin")).as("a link of the sandbox, followed inside it").containsOnly(Map.entry("tool", FileType.FILE));
    assertThat(files.list("..", "").dir()).isEqualTo("/home");
  }

  @Test
  void filesOutsideTheHomeReadAsTheSandboxSeesThem() {
    assertThat(read("/usr/share/doc/readme.txt")).isEqualTo("system docs\n");
    assertThat(read("/usr/share/docs/readme.txt")).as("a host link naming a sandbox path").isEqualTo("system docs\n");
    assertThat(files.display("/usr/bin/tool", "").exists()).isTrue();
    assertThat(files.display("/usr/nothing", "").exists()).isFalse();
    assertThat(files.directory("/tmp", "")).isEqualTo("/tmp");
    assertThat(files.directory("/usr/share", "")).isEqualTo("/usr/share");
    files.write("uploads/data.csv", "", "1,2\n");
    assertThat(read("/mnt/uploads/data.csv")).as("the sandbox's link into the home").isEqualTo("1,2\n");
    assertThat(read("../../home/user/uploads/data.csv")).isEqualTo("1,2\n");
  }

  @Test
  void nothingOfTheHostBeyondTheSandboxCanBeNamed() {
    for (String path : List.of(secret.resolve("key.txt").toString(), "/usr/share/absolute-out/key.txt", "/usr/share/relative-out/key.txt",
        "/usr/../secret/key.txt", system.getParent().toString() + "/secret/key.txt", "/proc/self/environ", "/tmp/x")) {
      assertThatThrownBy(() -> read(path)).as(path).isInstanceOf(NotFound.class)
          .hasMessage("No such file or directory: " + Path.of(path).normalize()); // names what was asked, nothing a link led to
      assertThat(files.display(path, "").exists()).as(path).isFalse();
    }
    assertThatThrownBy(() -> files.list("/usr/share/absolute-out", "")).isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> read("escape/key.txt")).as("a link in the home leading out").isInstanceOf(dev.sandcastle.core.errors.PathOutsideWorkspace.class);
  }

  @Test
  void outsideTheHomeNothingChanges() throws IOException {
    for (Runnable change : List.<Runnable>of(
        () -> files.write("/usr/share/new.txt", "", "x"),
        () -> files.mkdir("/usr/new", ""),
        () -> files.delete("/usr/bin/tool", ""),
        () -> files.move("/usr/bin/tool", "stolen", ""),
        () -> files.move("uploads/data.csv", "/tmp/moved", ""),
        () -> files.upload("/tmp", "", "x.txt", new java.io.ByteArrayInputStream(new byte[1])))) {
      assertThatThrownBy(change::run).isInstanceOf(Forbidden.class).hasMessageContaining("read-only");
    }
    assertThat(system.resolve("bin/tool")).exists();
    try (var left = Files.list(system)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("share", "bin");
    }
  }

  @Test
  void theRealSandboxsViewComesFromItsOwnBwrapOptions() throws IOException {
    Path runtime = base.resolve("runtime");
    Sandbox sandbox = new Sandbox(new SandboxPolicy(SandboxPolicy.Mechanism.BWRAP, SandboxPolicy.Network.NONE, new Limits(0, 0, 0)),
        home, runtime, base.resolve("logs"), -1, -1);
    SandboxView view = sandbox.view();
    assertThat(view.place("/usr")).isEqualTo(new SandboxView.Place.Host(Path.of("/usr").toRealPath(), false));
    assertThat(view.place("/etc/passwd")).as("the sandbox's own account file, not the host's")
        .isEqualTo(new SandboxView.Place.Host(runtime.resolve("passwd").toRealPath(), false));
    assertThat(view.place("/home/user")).isEqualTo(new SandboxView.Place.Host(home.toRealPath(), true));
    assertThat(view.place("/tmp")).isInstanceOf(SandboxView.Place.Made.class);
    assertThat(view.place("/tmp/anything")).isInstanceOf(SandboxView.Place.Absent.class);
    assertThat(view.place("/root")).isInstanceOf(SandboxView.Place.Absent.class);
    assertThat(view.place("/mnt/uploads")).isEqualTo(new SandboxView.Place.Link("/home/user/uploads"));
    assertThat(view.mountedIn("/")).contains("usr", "etc", "home", "tmp", "proc", "dev", "run", "mnt").doesNotContain("root", "srv");
    assertThat(SandboxView.host().place("/etc/hostname")).isEqualTo(new SandboxView.Place.Host(Path.of("/etc/hostname"), true));
    assertThatThrownBy(() -> SandboxView.ofBwrap(List.of("--some-new-mount", "/a", "/b")))
        .as("a mount this class cannot describe fails loudly").isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SandboxView.ofBwrap(List.of("--args", "7")))
        .as("options read from a descriptor are options it cannot see").isInstanceOf(IllegalArgumentException.class);
  }
}
