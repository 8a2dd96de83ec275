package dev.sandcastle.core.workspace;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.exec.ExecService;
import dev.sandcastle.core.exec.ExecutionView;
import dev.sandcastle.core.files.Owner;
import dev.sandcastle.core.files.WorkspaceFiles;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.notebook.NotebookService;
import dev.sandcastle.core.sandbox.SpawnSpec;
import dev.sandcastle.core.pty.TerminalService;
import dev.sandcastle.core.sandbox.Cgroup;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.sandbox.SpawnSpec;
import dev.sandcastle.core.sandbox.Supervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's small machine: a home directory, a long-lived sandbox whose supervisor starts every
 * command (so commands share {@code /tmp}, background jobs and a process tree), the limits of its
 * cgroup, its command service, its file operations and the current directory of each chat session.
 *
 * <p>The sandbox starts on first use and again, with a fresh process tree, after it died.
 */
public final class Workspace implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Workspace.class);
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final int MAX_SESSIONS = 10_000;
  private static final long RETRY_AFTER_FAILURE_NANOS = 1_000_000_000L;
  private static final String SHELL = Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";

  private final WorkspaceSettings settings;
  private final Sandbox sandbox;
  private final Cgroup cgroup;
  private final ExecService exec;
  private final WorkspaceFiles files;
  private final KernelService kernels;
  private final NotebookService notebooks;
  private final TerminalService terminals;
  private final Map<String, String> sessionCwds = new ConcurrentHashMap<>();
  private final ReentrantLock startLock = new ReentrantLock();
  private volatile Supervisor supervisor;
  private volatile boolean closed;
  private volatile long lastFailure = System.nanoTime() - RETRY_AFTER_FAILURE_NANOS;

  public Workspace(WorkspaceSettings settings, Cgroups cgroups) {
    this.settings = settings;
    Path logs = settings.stateDir().resolve("logs");
    prepareDirectories(settings, logs);
    this.sandbox = new Sandbox(settings.policy(), settings.home(), settings.stateDir().resolve("runtime"), logs, settings.uid(), settings.gid());
    this.cgroup = cgroups.create(cgroupName(settings), settings.policy().limits());
    this.exec = new ExecService(this::supervisor, cgroup::oomKills, settings.exec(), logs, sandbox.logs());
    Owner owner = settings.uid() >= 0 && Sandbox.currentUid() == 0 ? new Owner(settings.uid(), settings.gid()) : Owner.NONE;
    this.files = new WorkspaceFiles(settings.home(), sandbox.home(), owner, settings.files(), Optional.of(sandbox.view()));
    this.kernels = new KernelService(this::supervisor, this::kernelHostSpec, cgroup::oomKills, settings.kernels(), sandbox.home());
    this.notebooks = new NotebookService(files, kernels);
    this.terminals = new TerminalService(this::supervisor, this::terminalShell, settings.terminals());
  }

  public String name() {
    return settings.name();
  }

  public ExecService exec() {
    return exec;
  }

  public WorkspaceFiles files() {
    return files;
  }

  /** The workspace's Python kernels. */
  public KernelService kernels() {
    return kernels;
  }

  /** The workspace's open notebooks. */
  public NotebookService notebooks() {
    return notebooks;
  }

  private SpawnSpec kernelHostSpec() {
    return new SpawnSpec(List.of(Sandbox.python(), "-I", sandbox.kernelScript()), home(), environment(Map.of()));
  }

  /** Interactive terminals (shells on pseudo-terminals in this workspace's sandbox). */
  public TerminalService terminals() {
    return terminals;
  }

  /** The home directory as commands and file operations name it. */
  public String home() {
    return sandbox.home();
  }

  public SandboxPolicy policy() {
    return settings.policy();
  }

  /** The limits and confinement, in words, for the system prompt. */
  public String limitsDescription() {
    return cgroup.describe();
  }

  public String shell() {
    return SHELL;
  }

  /** The current directory of a chat session (home when the session has none). */
  public String cwd(Optional<String> session) {
    return session.map(sessionCwds::get).orElse(home());
  }

  /** Changes a session's current directory; returns it as a view path. */
  public String changeCwd(Optional<String> session, String path) {
    String dir = files.directory(path, cwd(session));
    String key = session.orElseThrow(() -> new BadRequest("changing the directory needs an X-Session-Id header"));
    if (sessionCwds.size() >= MAX_SESSIONS && !sessionCwds.containsKey(key)) {
      sessionCwds.clear(); // a crude bound: sessions fall back to home
    }
    sessionCwds.put(key, dir);
    return dir;
  }

  /**
   * Runs a shell command in the background.
   *
   * @param cwd the request's directory, else the session's, else home
   */
  public ExecutionView run(String command, Optional<String> cwd, Map<String, String> env, Duration timeout,
      Optional<String> session, Duration wait, int tail) throws InterruptedException {
    if (command == null || command.isBlank()) {
      throw new BadRequest("command must not be empty");
    }
    if (command.indexOf('\0') >= 0) {
      throw new BadRequest("command must not contain NUL bytes");
    }
    String sessionCwd = cwd(session);
    String dir = files.directory(cwd.orElse(sessionCwd), sessionCwd);
    return exec.start(new ExecService.Start(command, List.of(SHELL, "-c", command), dir, environment(env), timeout), wait, tail);
  }

  /** The environment every command gets: a fixed minimal set plus the request's variables. */
  Map<String, String> environment(Map<String, String> extra) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", home());
    env.put("USER", sandbox.user());
    env.put("LOGNAME", sandbox.user());
    env.put("SHELL", SHELL);
    env.put("PATH", home() + "/.local/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
    env.put("LANG", "C.UTF-8");
    env.put("TERM", "dumb");
    env.put("PYTHONUNBUFFERED", "1");
    env.put("MPLBACKEND", "Agg");
    // pip installs into the workspace (~/.local), beside Debian's packages, when there is network.
    env.put("PIP_USER", "1");
    env.put("PIP_BREAK_SYSTEM_PACKAGES", "1");
    env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    boolean offline = settings.policy().network() == dev.sandcastle.core.sandbox.SandboxPolicy.Network.NONE;
    env.put("SANDCASTLE_NETWORK", offline ? "none" : "host");
    if (offline) {
      env.put("PIP_NO_INDEX", "1"); // fail at once instead of retrying a network that is not there
    }
    for (var entry : extra.entrySet()) {
      if (!ENV_NAME.matcher(entry.getKey()).matches()) {
        throw new BadRequest("invalid environment variable name: " + entry.getKey());
      }
      if (entry.getValue() == null || entry.getValue().indexOf('\0') >= 0 || entry.getValue().length() > 32_768) {
        throw new BadRequest("invalid value for environment variable " + entry.getKey());
      }
      env.put(entry.getKey(), entry.getValue());
    }
    return env;
  }

  /**
   * What a terminal runs: a login shell (it reads /etc/profile, so the prompt and PATH are the
   * system's) with the environment of commands, told that it drives a colour terminal.
   */
  private SpawnSpec terminalShell(String cwd) {
    Map<String, String> env = environment(Map.of());
    env.put("TERM", "xterm-256color");
    env.put("COLORTERM", "truecolor");
    return new SpawnSpec(List.of(SHELL, "-l"), cwd, env);
  }

  /** The running supervisor, started (or restarted after it died) on demand. */
  public Supervisor supervisor() {
    Supervisor current = supervisor;
    if (current != null && current.alive()) {
      return current;
    }
    startLock.lock();
    try {
      if (closed) {
        throw new dev.sandcastle.core.errors.Unavailable("the workspace is shut down");
      }
      current = supervisor;
      if (current == null || !current.alive()) {
        if (current != null) {
          log.warn("workspace {}: sandbox ended; starting a fresh one", settings.name());
          current.close();
        }
        if (System.nanoTime() - lastFailure < RETRY_AFTER_FAILURE_NANOS) {
          throw new dev.sandcastle.core.errors.Unavailable("the workspace sandbox failed to start a moment ago; retrying shortly");
        }
        cgroup.killAll(); // orphans of the previous sandbox
        long started = System.nanoTime();
        try {
          current = sandbox.start(cgroup, settings.name());
        } catch (RuntimeException e) {
          lastFailure = System.nanoTime();
          throw e;
        }
        log.info("workspace {}: sandbox started in {} ms ({}, network {}, {})", settings.name(),
            (System.nanoTime() - started) / 1_000_000, settings.policy().mechanism(), settings.policy().network(), cgroup.describe());
        supervisor = current;
      }
      return current;
    } finally {
      startLock.unlock();
    }
  }

  /** Stops every process of the workspace; files stay. */
  public void stop() {
    startLock.lock();
    try {
      kernels.stopAll();
      if (supervisor != null) {
        supervisor.close();
        supervisor = null;
      }
      cgroup.killAll();
    } finally {
      startLock.unlock();
    }
  }

  @Override
  public void close() {
    closed = true;
    terminals.close();
    stop();
    exec.close();
    kernels.close();
    files.close();
    cgroup.close();
  }

  /**
   * Unique per workspace on this host: two servers (or two tests) with workspaces of the same
   * name never share, or reap, each other's group.
   */
  public static String cgroupName(WorkspaceSettings settings) {
    String hash = Integer.toHexString(settings.stateDir().toString().hashCode());
    String name = "ws-" + settings.name();
    return (name.length() > 54 ? name.substring(0, 54) : name) + "-" + hash;
  }

  /** The sandbox runs as another uid: it must be able to reach the directories it binds. */
  private static void requireTraversable(Path dir) throws IOException {
    for (Path p = dir; p != null; p = p.getParent()) {
      if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
        throw new IllegalStateException("the workspace's unprivileged user cannot reach " + dir + " because " + p
            + " is not world-searchable; choose a data directory outside it or run chmod o+x " + p);
      }
    }
  }

  private static void prepareDirectories(WorkspaceSettings settings, Path logs) {
    try {
      Files.createDirectories(settings.home());
      Files.createDirectories(logs);
      Files.createDirectories(settings.stateDir().resolve("runtime"));
      boolean switchesUid = settings.uid() >= 0 && Sandbox.currentUid() == 0;
      if (switchesUid) {
        requireTraversable(settings.home().getParent());
        requireTraversable(settings.stateDir().getParent());
        Files.setAttribute(settings.home(), "unix:uid", settings.uid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(settings.home(), "unix:gid", settings.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(settings.home(), PosixFilePermissions.fromString("rwx------"));
      }
      // The state directory (command logs, the sandbox's runtime files) is the server's; the
      // workspace's own group may read it (its sandbox binds them), no other account may enter it,
      // whatever the files' modes (command logs of older versions were 0644).
      for (Path dir : List.of(settings.stateDir(), logs, settings.stateDir().resolve("runtime"))) {
        if (switchesUid) {
          Files.setAttribute(dir, "unix:gid", settings.gid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(switchesUid ? "rwxr-x---" : "rwx------"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare workspace directories under " + settings.home(), e);
    }
  }
}
