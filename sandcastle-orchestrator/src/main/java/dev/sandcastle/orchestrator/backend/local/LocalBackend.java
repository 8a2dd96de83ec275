package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.core.exec.ExecSettings;
import dev.sandcastle.core.files.FileLimits;
import dev.sandcastle.core.kernel.KernelSettings;
import dev.sandcastle.core.pty.TerminalSettings;
import dev.sandcastle.core.sandbox.Cgroups;
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
import java.util.Optional;
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
 * <p>Each tenant gets a slot when it first starts, recorded as its instance id ({@code s<n>}):
 * the slot names its uid, home ({@code homes/t<n>}), state directory ({@code state/t<n>}) and
 * cgroup ({@code ws-<oid>-<n>-...}, {@code oid} a hash of the data directory). A few sandboxes
 * can be kept started ahead on fresh slots ({@link #keepWarm}), so a new tenant's first command
 * does not wait for a sandbox to start. {@link #reconcile} reaps what a crashed run left (its
 * sandboxes die with the JVM, but a process that left the sandbox's process tree in {@code
 * --sandbox none} mode would not; homes it left mounted) without touching another server's
 * workspaces on the same host.
 *
 * <p>On a root server with loop devices, each home is a file system of its policy's storage
 * ({@link HomeVolumes}), mounted while the workspace runs: a full home answers ENOSPC instead of
 * filling the server's disk. A reset or delete removes the image, giving its space back.
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
  private final HomeVolumes volumes;
  private final Map<String, Workspace> workspaces = new ConcurrentHashMap<>();
  /** Disk use of each tenant's home, measured at its last stop (running homes are measured when asked). */
  private final Map<String, DiskUsage> stoppedUsage = new ConcurrentHashMap<>();
  private final Map<String, dev.sandcastle.orchestrator.tenant.TenantKey> keys = new ConcurrentHashMap<>();
  private final Map<String, Long> slots = new ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedDeque<Spare> spares = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private final java.util.concurrent.atomic.AtomicLong nextSlot = new java.util.concurrent.atomic.AtomicLong(1);
  private final java.util.concurrent.atomic.AtomicBoolean refilling = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile Policy sparePolicy;
  private volatile Thread refiller;
  private volatile int poolSize;
  private volatile boolean reconciled;
  private volatile boolean closed;

  public LocalBackend(Settings settings, Accounts accounts, Cgroups cgroups) {
    this.settings = settings;
    this.accounts = accounts;
    this.cgroups = cgroups;
    this.orchestratorId = Integer.toHexString(settings.dataDir().toAbsolutePath().normalize().toString().hashCode() & 0x7fffffff);
    this.volumes = accounts.sharedByUser() ? HomeVolumes.disabled("homes are the users' own (--multi-user)")
        : HomeVolumes.detect(settings.dataDir());
  }

  @Override
  public String name() {
    return "local";
  }

  /** Enforced where homes are file systems of their own; else homes are plain directories. */
  @Override
  public StorageLimits storageLimits() {
    return volumes.enforced() ? StorageLimits.ENFORCED : StorageLimits.NOT_ENFORCED;
  }

  @Override
  public Map<String, DiskUsage> diskUsage() {
    Map<String, DiskUsage> usage = new HashMap<>(stoppedUsage);
    workspaces.forEach((tenant, workspace) -> {
      Long slot = slots.get(tenant);
      dev.sandcastle.orchestrator.tenant.TenantKey key = keys.get(tenant);
      if (slot != null && key != null) {
        volumes.usage(accounts.accountFor(key, slot).home()).ifPresent(u -> usage.put(tenant, u));
      }
    });
    return usage;
  }

  /**
   * Keeps {@code count} sandboxes started ahead of demand for new tenants under {@code policy}: a
   * new tenant takes one (its first command then costs a spawn, not a sandbox start) and the pool
   * refills in the background. A spare is an empty home with a uid of its own that no tenant has
   * had; only a tenant of that very policy (the network and limits are fixed when a sandbox
   * starts) gets one. Call before the tenant service starts; filling begins after reconciling.
   */
  public void keepWarm(Policy policy, int count) {
    if (accounts.sharedByUser()) {
      return; // one account per user: a spare cannot be made before the user is known
    }
    this.sparePolicy = policy;
    this.poolSize = Math.max(0, count);
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    keys.put(tenant.id(), tenant.key());
    Workspace running = workspaces.get(tenant.id());
    if (running != null) {
      return new Instance.Local(slotId(slots.get(tenant.id())), running);
    }
    Optional<Long> known = slotOf(tenant);
    long slot;
    Workspace workspace;
    Spare spare = known.isEmpty() && policy.equals(sparePolicy) ? spares.poll() : null;
    if (known.isPresent()) {
      slot = known.get(); // a stopped tenant resumes in its own home, as its own uid
      workspace = create(tenant.key(), slot, policy);
    } else if (spare != null) {
      slot = spare.slot();
      workspace = spare.workspace();
    } else {
      slot = newSlot(tenant.key());
      workspace = create(tenant.key(), slot, policy);
    }
    stoppedUsage.remove(tenant.id());
    if (spare != null || (known.isEmpty() && poolSize > 0)) {
      refill();
    }
    slots.put(tenant.id(), slot);
    workspaces.put(tenant.id(), workspace);
    return new Instance.Local(slotId(slot), workspace);
  }

  private record Spare(long slot, Workspace workspace, Path home) {}

  /** A slot no tenant ever had, with its home emptied in case a crashed run left one there. */
  private long newSlot(dev.sandcastle.orchestrator.tenant.TenantKey key) {
    for (int attempt = 0; ; attempt++) {
      long slot = nextSlot.getAndIncrement();
      try {
        Account account = accounts.accountFor(key, slot);
        volumes.delete(slot, account.home());
        wipeContents(account);
        return slot;
      } catch (RuntimeException e) {
        // Left by something else (not its uid's to delete): skip the slot rather than hand it on.
        log.warn("skipping workspace slot {}: its home could not be emptied ({})", slot, e.getMessage());
        if (attempt >= 8) {
          throw e;
        }
      }
    }
  }

  private void refill() {
    if (poolSize == 0 || !reconciled || !refilling.compareAndSet(false, true)) {
      return;
    }
    refiller = Thread.ofVirtual().name("warm-pool").start(() -> {
      try {
        fill();
      } catch (RuntimeException e) {
        log.warn("the warm pool could not be filled: {}", e.toString());
      } finally {
        refilling.set(false);
      }
    });
  }

  private void fill() {
    dev.sandcastle.orchestrator.tenant.TenantKey nobody = new dev.sandcastle.orchestrator.tenant.TenantKey("spare", null, null);
    while (spares.size() < poolSize && !closed) {
      long slot = newSlot(nobody);
      Spare spare = new Spare(slot, create(nobody, slot, sparePolicy), accounts.accountFor(nobody, slot).home());
      try {
        spare.workspace().supervisor(); // the point of a spare: its sandbox is already running
      } catch (RuntimeException e) {
        close(spare);
        log.warn("could not start a spare workspace: {}", e.toString());
        return;
      }
      spares.add(spare);
      if (closed) {
        closeSpares();
      }
    }
  }

  private void closeSpares() {
    for (Spare spare; (spare = spares.poll()) != null; ) {
      close(spare);
    }
  }

  private void close(Spare spare) {
    spare.workspace().close();
    volumes.detach(spare.home());
  }

  private static String slotId(long slot) {
    return "s" + slot;
  }

  /** The slot (uid, home, cgroup and state directory) a tenant was given when it first started. */
  private static Optional<Long> slotOf(Tenant tenant) {
    String id = tenant.instanceId();
    if (id.length() > 1 && id.charAt(0) == 's' && id.substring(1).chars().allMatch(Character::isDigit)) {
      return Optional.of(Long.parseLong(id.substring(1)));
    }
    return Optional.empty();
  }

  /** The slot's workspace, its home mounted first where homes are file systems of their own. */
  private Workspace create(dev.sandcastle.orchestrator.tenant.TenantKey key, long slot, Policy policy) {
    Account account = accounts.accountFor(key, slot);
    boolean root = Sandbox.currentUid() == 0;
    volumes.attach(slot, account.home(), policy.storageBytes(), account.uid(), account.gid());
    SandboxPolicy sandbox = new SandboxPolicy(settings.mechanism(),
        policy.network().equals("host") ? SandboxPolicy.Network.HOST : SandboxPolicy.Network.NONE,
        policy.limits()).withReadOnlyPaths(readOnlyPaths(policy));
    return new Workspace(new WorkspaceSettings(orchestratorId + "-" + slot, account.home(), stateDir(slot), sandbox,
        root ? account.uid() : -1, root ? account.gid() : -1, settings.exec(), settings.files(), settings.kernels(),
        settings.terminals()), cgroups);
  }

  /** The policy's read-only paths but those that hold or lie in the data directory (homes, keys, the database). */
  private java.util.List<String> readOnlyPaths(Policy policy) {
    Path data = settings.dataDir().toAbsolutePath().normalize();
    return policy.readOnlyPaths().stream().filter(path -> {
      boolean overlaps = data.startsWith(path) || Path.of(path).startsWith(data);
      if (overlaps) {
        log.warn("policy {}: not showing {} in its workspaces: it holds or lies in the data directory", policy.id(), path);
      }
      return !overlaps;
    }).toList();
  }

  @Override
  public void stop(Tenant tenant) {
    Long slot = slots.remove(tenant.id());
    Workspace workspace = workspaces.remove(tenant.id());
    if (workspace != null) {
      workspace.close();
    }
    if (slot != null) {
      Path home = accounts.accountFor(tenant.key(), slot).home();
      volumes.usage(home).ifPresent(usage -> stoppedUsage.put(tenant.id(), usage));
      volumes.detach(home);
    }
  }

  @Override
  public void reset(Tenant tenant) {
    stop(tenant);
    Optional<Long> slot = slotOf(tenant);
    if (slot.isEmpty()) {
      return; // never started: nothing to wipe
    }
    Account account = accounts.accountFor(tenant.key(), slot.get());
    if (accounts.sharedByUser() && runningFor(tenant.key().userId())) {
      throw new dev.sandcastle.core.errors.Conflict("another workspace of this user shares its home and is running; stop it first");
    }
    volumes.delete(slot.get(), account.home()); // the next start makes a new, empty one
    stoppedUsage.remove(tenant.id());
    wipeContents(account);
    deleteTree(stateDir(slot.get()));
  }

  @Override
  public void destroy(Tenant tenant) {
    stop(tenant);
    Optional<Long> slot = slotOf(tenant);
    if (slot.isEmpty()) {
      keys.remove(tenant.id());
      return; // never started: nothing on disk
    }
    stoppedUsage.remove(tenant.id());
    if (!accounts.sharedByUser()) {
      Account account = accounts.accountFor(tenant.key(), slot.get());
      volumes.delete(slot.get(), account.home());
      wipeContents(account);
      deleteTree(account.home()); // empty now, and ours to remove
    }
    deleteTree(stateDir(slot.get())); // a shared home stays: it is the user's, not this tenant's
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
    Set<Long> held = known.values().stream().map(LocalBackend::slotOf).flatMap(Optional::stream).collect(java.util.stream.Collectors.toSet());
    if (!accounts.sharedByUser()) {
      volumes.reap(settings.dataDir().resolve("homes"), held); // mounted again when their workspaces start
    }
    long highest = held.stream().mapToLong(Long::longValue).max().orElse(0);
    nextSlot.set(highest + 1); // slots above every tenant's: a crashed run's spares are emptied before reuse
    reconciled = true;
    refill();
    return new HashMap<>();
  }

  @Override
  public Set<String> running() {
    return Set.copyOf(workspaces.keySet());
  }

  @Override
  public void close() {
    closed = true;
    Thread filling = refiller;
    if (filling != null) {
      try {
        filling.join(java.time.Duration.ofSeconds(30)); // it stops after the spare it is making, which it must not leave mounted
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeSpares();
    workspaces.values().parallelStream().forEach(Workspace::close);
    workspaces.clear();
    if (!accounts.sharedByUser()) {
      volumes.detachAll(settings.dataDir().resolve("homes"));
    }
  }

  private Path stateDir(long slot) {
    return settings.dataDir().resolve("state").resolve("t" + slot);
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
