package dev.sandcastle.core.workspace;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.nio.file.Path;

/**
 * Everything one workspace needs to know about itself.
 *
 * @param name a short identifier, used for its cgroup and threads ([a-zA-Z0-9_.-])
 * @param home the home directory on the host; created if missing
 * @param stateDir a server-owned directory for the workspace's runtime files and command logs
 * @param uid the uid its processes run as, and, on a root server, whose rights its file operations
 *     run with; or -1 to keep the server's (only root can switch)
 * @param terminals limits of its interactive terminals
 */
public record WorkspaceSettings(
    String name, Path home, Path stateDir, SandboxPolicy policy, int uid, int gid, ExecSettings exec, FileLimits files,
    KernelSettings kernels, TerminalSettings terminals) {

  /** With the default terminal settings. */
  public WorkspaceSettings(
      String name, Path home, Path stateDir, SandboxPolicy policy, int uid, int gid, ExecSettings exec, FileLimits files,
      KernelSettings kernels) {
    this(name, home, stateDir, policy, uid, gid, exec, files, kernels, TerminalSettings.defaults());
  }

  public WorkspaceSettings {
    if (name == null || !name.matches("[a-zA-Z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("workspace name must be 1-64 of [a-zA-Z0-9_.-]");
    }
    home = home.toAbsolutePath().normalize();
    stateDir = stateDir.toAbsolutePath().normalize();
    if (home.startsWith(stateDir) || stateDir.startsWith(home)) {
      throw new IllegalArgumentException("the workspace home and its state directory must not contain each other");
    }
  }
}
