package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Limits;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.core.workspace.WorkspaceSettings;
import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local} backend: each tenant's workspace lives in this JVM, with its own sandbox
 * (bubblewrap namespaces), its own cgroup (the policy's memory, process and CPU limits) and its
 * own unprivileged uid from {@link Accounts}. Homes stay on disk when a workspace stops; a
 * started workspace starts its sandbox lazily, on its first command.
 *
 * <p>Everything it creates is named after the orchestrator's id (a hash of the data directory)
 * and the tenant's number: the cgroup {@code ws-<oid>-<n>-...}, the state directory
 * {@code state/<n>}. So {@link #reconcile} can reap what a crashed run left (its sandboxes die
 * with the JVM, but a process that left the sandbox's process tree in {@code --sandbox none}
 * mode would not) without touching another server's workspaces on the same host.
 */
public final class LocalBackend implements Backend {
  private static final Logger log = LoggerFactory.getLogger(LocalBackend.class);

  /** What every local workspace shares, whatever its policy. */
  public record Settings(
      Path dataDir, SandboxPolicy.Mechanism mechanism, ExecSettings exec, FileLimits files, KernelSettings kernels,
      TerminalSettings terminals) {}

  private final Settings settings;
  private final Accounts accounts;
  private final Cgroups cgroups;
  private final String orchestratorId;
  private final Map<String, Workspace> workspaces = new ConcurrentHashMap<>();
  private final Map<String, dev.sandcastle.orchestrator.tenant.TenantKey> keys = new ConcurrentHashMap<>();

  public LocalBackend(Settings settings, Accounts accounts, Cgroups cgroups) {
    this.settings = settings;
    this.accounts = accounts;
    this.cgroups = cgroups;
    this.orchestratorId = Integer.toHexString(settings.dataDir().toAbsolutePath().normalize().toString().hashCode() & 0x7fffffff);
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    keys.put(tenant.id(), tenant.key());
    Workspace workspace = workspaces.computeIfAbsent(tenant.id(), id -> create(tenant, policy));
    return new Instance.Local(workspaceName(tenant), workspace);
  }

  private Workspace create(Tenant tenant, Policy policy) {
    Account account = accounts.accountFor(tenant.key(), tenant.number());
    boolean root = Sandbox.currentUid() == 0;
    SandboxPolicy sandbox = new SandboxPolicy(settings.mechanism(),
        policy.network().equals("host") ? SandboxPolicy.Network.HOST : SandboxPolicy.Network.NONE,
        new Limits(policy.memoryBytes(), policy.pids(), policy.cpus()));
    return new Workspace(new WorkspaceSettings(workspaceName(tenant), account.home(), stateDir(tenant), sandbox,
        root ? account.uid() : -1, root ? account.gid() : -1, settings.exec(), settings.files(), settings.kernels(),
        settings.terminals()), cgroups);
  }

  @Override
  public void stop(Tenant tenant) {
    Workspace workspace = workspaces.remove(tenant.id());
    if (workspace != null) {
      workspace.close();
    }
  }

  @Override
  public void reset(Tenant tenant) {
    stop(tenant);
    Account account = accounts.accountFor(tenant.key(), tenant.number());
    if (accounts.sharedByUser() && runningFor(tenant.key().userId())) {
      throw new dev.sandcastle.core.errors.Conflict("another workspace of this user shares its home and is running; stop it first");
    }
    wipeContents(account);
    deleteTree(stateDir(tenant));
  }

  @Override
  public void destroy(Tenant tenant) {
    stop(tenant);
    if (!accounts.sharedByUser()) {
      Account account = accounts.accountFor(tenant.key(), tenant.number());
      wipeContents(account);
      deleteTree(account.home()); // empty now, and ours to remove
    }
    deleteTree(stateDir(tenant)); // a shared home stays: it is the user's, not this tenant's
    keys.remove(tenant.id());
  }

  private boolean runningFor(String userId) {
    return keys.entrySet().stream().anyMatch(e -> e.getValue().userId().equals(userId) && workspaces.containsKey(e.getKey()));
  }

  /**
   * Empties a home with the owner's rights, not the server's: {@code rm} runs as the account, so a
   * symbolic link swapped in by one of its processes can only lead it to what the account itself
   * may delete. (As the server's own user, when it is not root, the home is the server's anyway.)
   */
  private static void wipeContents(Account account) {
    if (!Files.isDirectory(account.home(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Sandbox.currentUid() != 0) {
      try (var children = Files.list(account.home())) {
        children.forEach(LocalBackend::deleteTree);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot empty a workspace home", e);
      }
      return;
    }
    java.util.List<String> command = java.util.List.of("setpriv", "--reuid=" + account.uid(), "--regid=" + account.gid(),
        "--clear-groups", "--inh-caps=-all", "--", "find", account.home().toString(), "-mindepth", "1", "-maxdepth", "1",
        "-exec", "rm", "-rf", "--one-file-system", "--", "{}", "+");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new dev.sandcastle.core.errors.Unavailable("emptying the workspace took too long");
      }
      if (process.exitValue() != 0) {
        throw new dev.sandcastle.core.errors.Unavailable("the workspace home could not be emptied completely");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run setpriv to empty a workspace home", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.sandcastle.core.errors.Unavailable("interrupted while emptying a workspace home");
    }
  }

  @Override
  public Map<String, Instance> reconcile(Map<String, Tenant> known) {
    // In-process workspaces never survive a restart: reap whatever cgroups a previous run left.
    for (String group : cgroups.existing("ws-" + orchestratorId + "-")) {
      log.info("reaping leftover workspace group {}", group);
      cgroups.reap(group);
    }
    return new HashMap<>();
  }

  @Override
  public Set<String> running() {
    return Set.copyOf(workspaces.keySet());
  }

  @Override
  public void close() {
    workspaces.values().parallelStream().forEach(Workspace::close);
    workspaces.clear();
  }

  private String workspaceName(Tenant tenant) {
    return orchestratorId + "-" + tenant.number();
  }

  private Path stateDir(Tenant tenant) {
    return settings.dataDir().resolve("state").resolve("t" + tenant.number());
  }

  /**
   * Deletes a server-owned directory tree (a state directory; workspaces cannot write there)
   * without following symbolic links.
   */
  static void deleteTree(Path root) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete a workspace directory", e);
    }
  }
}
