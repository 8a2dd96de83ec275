package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.core.workspace.WorkspaceSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/** A real workspace (bubblewrap sandbox, real kernels) in a temporary directory. */
public final class TestWorkspace implements AutoCloseable {
  public final Path root;
  public final Workspace workspace;

  public TestWorkspace(KernelSettings kernels) {
    try {
      root = Files.createTempDirectory("sandcastle-engine-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      int uid = Sandbox.currentUid() == 0 ? 100_000 : -1;
      workspace = new Workspace(new WorkspaceSettings("engine-" + ProcessHandle.current().pid() + "-" + System.nanoTime(),
          root.resolve("home"), root.resolve("state"),
          new SandboxPolicy(SandboxPolicy.Mechanism.BWRAP, SandboxPolicy.Network.NONE, new Limits(512L << 20, 128, 0)),
          uid, uid, ExecSettings.defaults(), FileLimits.defaults(), kernels), Cgroups.detect());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    workspace.close();
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }
}
