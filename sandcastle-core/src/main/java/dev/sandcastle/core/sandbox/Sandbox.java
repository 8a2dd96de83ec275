package dev.sandcastle.core.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a workspace's supervisor, confined as the policy says: inside its cgroup (the launcher
 * writes itself into the group before it execs anything, so every descendant is counted), as the
 * workspace's unprivileged uid (when the server runs as root), and, with {@code BWRAP}, in its own
 * PID, IPC, UTS, mount, user and (by default) network namespaces with the system read-only and
 * only the workspace home writable. Every process in it, with either mechanism, runs under the
 * system-call filter of {@link SyscallFilter}.
 */
public final class Sandbox {
  /** Where the home appears inside a bubblewrap sandbox. */
  public static final String SANDBOX_HOME = "/home/user";
  /** The home's folder for attachments; {@code /mnt/uploads} in the sandbox points there. */
  public static final String UPLOADS = "uploads";

  private static final String SANDBOX_RUNTIME = "/run/sandcastle";
  /** Descriptors one process of a workspace may hold (soft and hard limit). */
  static final int MAX_OPEN_FILES = 4096;
  /** The compiled system-call filter in the runtime directory, and the launcher's fd for it. */
  private static final String FILTER = "seccomp.bpf";
  private static final String FILTER_FD = "5";
  private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

  private final SandboxPolicy policy;
  private final Path hostHome;
  private final Path runtimeDir;
  private final Path hostLogs;
  private final int uid;
  private final int gid;

  /**
   * @param hostHome the workspace's home directory on the host
   * @param runtimeDir a server-owned directory for the supervisor script and account files
   * @param hostLogs a server-owned directory of command logs, shown read-only in the sandbox
   * @param uid the uid the workspace runs as, or -1 to keep the server's
   */
  public Sandbox(SandboxPolicy policy, Path hostHome, Path runtimeDir, Path hostLogs, int uid, int gid) {
    this.policy = policy;
    this.hostHome = hostHome.toAbsolutePath();
    this.runtimeDir = runtimeDir.toAbsolutePath();
    this.hostLogs = hostLogs.toAbsolutePath();
    this.uid = uid;
    this.gid = gid;
  }

  public SandboxPolicy policy() {
    return policy;
  }

  /** The home directory as commands see it. */
  public String home() {
    return bwrap() ? SANDBOX_HOME : hostHome.toString();
  }

  /**
   * The file system as this sandbox's processes see it, from the very options bwrap is given (the
   * host's own without bubblewrap). The file API shows {@code /} through it.
   */
  public SandboxView view() {
    if (!bwrap()) {
      return SandboxView.host();
    }
    installRuntime(); // the files it binds must exist to be resolved
    return SandboxView.ofBwrap(bwrapArgs());
  }

  /** The command-log directory as commands see it. */
  public String logs() {
    return bwrap() ? SANDBOX_RUNTIME + "/logs" : hostLogs.toString();
  }

  /** The login name commands see. */
  public String user() {
    return "user";
  }

  /** Starts the supervisor inside a new sandbox, in the given cgroup. */
  public Supervisor start(Cgroup cgroup, String name) {
    installRuntime();
    List<String> inner = new ArrayList<>(List.of(PYTHON, "-I", "-S", "-u", script()));
    if (!bwrap()) {
      // Without bubblewrap the supervisor installs the filter on itself before it serves; and a
      // workspace of the server's own uid must not get around it through the server's /proc.
      inner.addAll(List.of("--seccomp-fd", FILTER_FD));
      if (uid < 0 || uid == currentUid()) {
        Undumpable.thisProcess();
      }
    }
    Map<String, String> env = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LANG", "C.UTF-8");
    return Supervisor.start(launch(cgroup, inner), env, name);
  }

  /** The full command line that runs {@code inner} in a fresh sandbox (also used by the benchmark). */
  public List<String> launch(Cgroup cgroup, List<String> inner) {
    List<String> command = new ArrayList<>();
    List<Path> procs = cgroup.procsFiles();
    // The launcher moves the server's channel from stdin/stdout to fds 3 and 4, which only the
    // supervisor keeps (it marks them close-on-exec); bwrap's pid 1, which stays dumpable and runs
    // as the workspace uid, then holds /dev/null instead, so nothing in the sandbox can reach the
    // channel through /proc/1/fd. It opens the system-call filter on fd 5 (ProcessBuilder passes
    // no descriptor above 2), for bwrap or the supervisor to install. Then it joins the workspace
    // cgroup before anything else runs. Resource limits no cgroup holds are set here, soft and
    // hard: no core files (a host whose core_pattern pipes to a helper would run it as root for
    // each crash), and at most MAX_OPEN_FILES descriptors a process, since open files count
    // against fs.file-max, one limit for the whole host (the server's own limit is often 20000+).
    command.addAll(List.of("/bin/sh", "-c",
        "ulimit -c 0; ulimit -n " + MAX_OPEN_FILES + " 2>/dev/null; "
            + "exec 3<&0 4>&1 </dev/null >/dev/null " + FILTER_FD + "<\"$1\"; shift; "
            + "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 111; shift; n=$((n-1)); done; exec \"$@\"",
        "sandcastle-launch", runtimeDir.resolve(FILTER).toString(), Integer.toString(procs.size())));
    procs.forEach(p -> command.add(p.toString()));
    if (uid >= 0 && uid != currentUid()) {
      command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
    }
    if (bwrap()) {
      command.addAll(bwrapArgs());
      // bwrap reads and closes the filter, then installs it on its pid 1 and on the command
      // both: pid 1 stays dumpable to the sandbox, so it must not be a way around the filter.
      command.addAll(List.of("--seccomp", FILTER_FD));
    }
    command.addAll(inner);
    return command;
  }

  private boolean bwrap() {
    return policy.mechanism() == SandboxPolicy.Mechanism.BWRAP;
  }

  private String script() {
    return bwrap() ? SANDBOX_RUNTIME + "/supervisor.py" : runtimeDir.resolve("supervisor.py").toString();
  }

  /** The Python kernel host script, as commands see it. */
  public String kernelScript() {
    installRuntime();
    return bwrap() ? SANDBOX_RUNTIME + "/kernel.py" : runtimeDir.resolve("kernel.py").toString();
  }

  /** The Python interpreter used for the supervisor and kernels. */
  public static String python() {
    return PYTHON;
  }

  private List<String> bwrapArgs() {
    int id = uid >= 0 ? uid : currentUid();
    int group = gid >= 0 ? gid : id;
    List<String> args = new ArrayList<>(List.of(
        "bwrap", "--unshare-user", "--uid", Integer.toString(id), "--gid", Integer.toString(group),
        "--disable-userns", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandcastle",
        "--ro-bind", "/usr", "/usr"));
    if (policy.network() == SandboxPolicy.Network.NONE) {
      args.add("--unshare-net");
    }
    for (String dir : List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")) {
      Path path = Path.of(dir);
      if (Files.isSymbolicLink(path)) {
        try {
          args.addAll(List.of("--symlink", Files.readSymbolicLink(path).toString(), dir));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--ro-bind", dir, dir));
      }
    }
    args.addAll(HostView.etc(policy.network() == SandboxPolicy.Network.HOST));
    for (String path : policy.readOnlyPaths()) {
      args.addAll(List.of("--ro-bind-try", path, path));
    }
    for (String generated : HostView.GENERATED_ETC) {
      args.addAll(List.of("--ro-bind", runtimeDir.resolve(generated).toString(), "/etc/" + generated));
    }
    String tmpSize = Long.toString(policy.tmpBytes());
    args.addAll(List.of("--proc", "/proc"));
    args.addAll(HostView.procMasks());
    args.addAll(List.of("--dev", "/dev", "--size", tmpSize, "--tmpfs", "/tmp", "--size", tmpSize, "--tmpfs", "/var/tmp",
        "--size", Long.toString(HostView.RUN_BYTES), "--tmpfs", "/run",
        "--ro-bind", runtimeDir.resolve("supervisor.py").toString(), SANDBOX_RUNTIME + "/supervisor.py",
        "--ro-bind", runtimeDir.resolve("kernel.py").toString(), SANDBOX_RUNTIME + "/kernel.py",
        "--ro-bind", hostLogs.toString(), SANDBOX_RUNTIME + "/logs",
        "--bind", hostHome.toString(), SANDBOX_HOME,
        // Where Open WebUI's code interpreter puts a chat's attachments; here, the home's uploads.
        "--perms", "0755", "--dir", "/mnt", "--symlink", SANDBOX_HOME + "/" + UPLOADS, "/mnt/uploads",
        "--chdir", SANDBOX_HOME));
    return args;
  }

  /** Writes the supervisor script and the sandbox's account files (idempotent). */
  private void installRuntime() {
    int id = uid >= 0 ? uid : currentUid();
    int group = gid >= 0 ? gid : id;
    try {
      Files.createDirectories(runtimeDir);
      Files.createDirectories(hostLogs);
      installScript("supervisor.py", "/dev/sandcastle/core/sandbox/supervisor.py");
      installScript("kernel.py", "/dev/sandcastle/core/kernel/kernel.py");
      writeIfChanged(runtimeDir.resolve(FILTER), SyscallFilter.program(SyscallFilter.Arch.current()));
      writeIfChanged(runtimeDir.resolve("passwd"), ("root:x:0:0:root:/root:/usr/sbin/nologin\n"
          + "user:x:" + id + ":" + group + ":Sandcastle user:" + SANDBOX_HOME + ":/bin/bash\n"
          + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n").getBytes());
      writeIfChanged(runtimeDir.resolve("group"), ("root:x:0:\nuser:x:" + group + ":\nnogroup:x:65534:\n").getBytes());
      for (var file : HostView.fixedEtc().entrySet()) {
        writeIfChanged(runtimeDir.resolve(file.getKey()), file.getValue().getBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the sandbox runtime in " + runtimeDir, e);
    }
  }

  private void installScript(String name, String resource) throws IOException {
    try (InputStream script = Sandbox.class.getResourceAsStream(resource)) {
      if (script == null) {
        throw new IllegalStateException(resource + " missing from the jar");
      }
      writeIfChanged(runtimeDir.resolve(name), script.readAllBytes());
    }
  }

  private static void writeIfChanged(Path file, byte[] content) throws IOException {
    if (Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), content)) {
      return;
    }
    Path temp = Files.createTempFile(file.getParent(), ".tmp", null);
    Files.write(temp, content);
    temp.toFile().setReadable(true, false);
    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** The uid of this server process. */
  public static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }
}
