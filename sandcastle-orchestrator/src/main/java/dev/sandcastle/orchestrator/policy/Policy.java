package dev.sandcastle.orchestrator.policy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a tenant's workspace runs: its image and runtime (for container backends), environment,
 * limits, idle timeout, network and reset schedule. Policies are stored in the database and edited through the
 * admin API; {@link #clampTo} applies the server's maxima before a policy is used or stored.
 *
 * @param id 1-64 of {@code [A-Za-z0-9_.-]}
 * @param image the container image ("" = the server's default); checked against the allow-list
 * @param runtime the container runtime ("" = the server's default): the docker backend's OCI runtime
 *     (e.g. {@code runsc}, gVisor), the kubernetes and operator backends' RuntimeClass (e.g.
 *     {@code gvisor}); {@value #RUNTIME_PATTERN}; checked against the allow-list. The local and
 *     static backends run no containers and ignore it
 * @param env extra environment variables for the workspace's processes
 * @param cpus CPU limit in cores (fractions allowed)
 * @param memoryBytes memory limit
 * @param storageBytes disk limit of the home directory (best effort where the backend cannot enforce it)
 * @param pids process limit
 * @param idleTimeout stop the workspace after this long without a request
 * @param network {@code none} or {@code host}
 * @param resetCron a 5-field cron expression at which the workspace is wiped ("" = never)
 * @param resetZone the time zone of {@code resetCron}, e.g. {@code Europe/Berlin}
 * @param readOnlyPaths host paths the local backend shows read-only at the same place in the
 *     workspace, beside the few system files every sandbox gets (e.g. {@code /etc/pip.conf},
 *     {@code /opt/models}); container backends ignore them
 */
public record Policy(
    String id, String image, String runtime, Map<String, String> env, double cpus, long memoryBytes, long storageBytes, int pids,
    Duration idleTimeout, String network, String resetCron, String resetZone, List<String> readOnlyPaths) {

  public Policy {
    if (id == null || !id.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new BadRequest("a policy id is 1-64 of letters, digits, '_', '.' and '-'");
    }
    image = image == null ? "" : image;
    runtime = runtime == null ? "" : runtime.trim();
    if (!runtime.isEmpty() && !runtime.matches(RUNTIME_PATTERN)) {
      throw new BadRequest("a policy's runtime is empty (the server's default) or 1-63 of lower-case letters, digits, '_', '.' and '-',"
          + " starting with a letter or digit");
    }
    env = env == null ? Map.of() : Map.copyOf(env);
    if (!(cpus > 0) || memoryBytes <= 0 || storageBytes <= 0 || pids <= 0) {
      throw new BadRequest("policy limits (cpus, memory, storage, pids) must be positive");
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new BadRequest("a policy's idle timeout must be positive");
    }
    network = network == null || network.isEmpty() ? "none" : network;
    if (!network.equals("none") && !network.equals("host")) {
      throw new BadRequest("a policy's network is 'none' or 'host'");
    }
    resetCron = resetCron == null ? "" : resetCron.trim();
    resetZone = resetZone == null || resetZone.isEmpty() ? "UTC" : resetZone;
    try {
      java.time.ZoneId.of(resetZone);
    } catch (java.time.DateTimeException e) {
      throw new BadRequest("unknown time zone: " + resetZone);
    }
    readOnlyPaths = readOnlyPaths == null ? List.of() : List.copyOf(readOnlyPaths);
    if (readOnlyPaths.size() > SandboxPolicy.MAX_READ_ONLY_PATHS) {
      throw new BadRequest("a policy adds at most " + SandboxPolicy.MAX_READ_ONLY_PATHS + " read-only paths");
    }
    try {
      readOnlyPaths.forEach(SandboxPolicy::checkReadOnlyPath);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(e.getMessage());
    }
  }

  /** A policy that adds no read-only paths: the form of the record before policies had them. */
  public Policy(String id, String image, String runtime, Map<String, String> env, double cpus, long memoryBytes, long storageBytes,
      int pids, Duration idleTimeout, String network, String resetCron, String resetZone) {
    this(id, image, runtime, env, cpus, memoryBytes, storageBytes, pids, idleTimeout, network, resetCron, resetZone, List.of());
  }

  /** The same policy with these read-only paths. */
  public Policy withReadOnlyPaths(List<String> paths) {
    return new Policy(id, image, runtime, env, cpus, memoryBytes, storageBytes, pids, idleTimeout, network, resetCron, resetZone, paths);
  }

  /**
   * The same policy without a runtime of its own (the server's default): the form of the record
   * before policies had runtimes, kept for callers that name none.
   */
  public Policy(String id, String image, Map<String, String> env, double cpus, long memoryBytes, long storageBytes, int pids,
      Duration idleTimeout, String network, String resetCron, String resetZone) {
    this(id, image, "", env, cpus, memoryBytes, storageBytes, pids, idleTimeout, network, resetCron, resetZone);
  }

  /**
   * The shape of a runtime's name: lower case, as Kubernetes RuntimeClass names are (which also
   * refuse '_'; Docker runtime names may have it), and never a path or an option.
   */
  public static final String RUNTIME_PATTERN = "[a-z0-9][a-z0-9_.-]{0,62}";

  // A policy's limits are positive; "no limit" is a value no workspace reaches, and becomes 0 again
  // (no limit) for the cgroup in limits().
  private static final double NO_CPU_LIMIT = 1024;
  private static final long NO_MEMORY_LIMIT = Long.MAX_VALUE;
  private static final int NO_PIDS_LIMIT = 4_194_304;

  /**
   * The server's own policy, {@code default}: its limits ({@code 0} for none) are every policy's
   * maxima.
   */
  public static Policy serverMaxima(dev.sandcastle.core.sandbox.Limits limits, long storageBytes, Duration idleTimeout, String network) {
    return new Policy(dev.sandcastle.orchestrator.tenant.TenantKey.DEFAULT_POLICY, "", "", Map.of(),
        limits.cpus() > 0 ? limits.cpus() : NO_CPU_LIMIT, limits.memoryBytes() > 0 ? limits.memoryBytes() : NO_MEMORY_LIMIT,
        storageBytes, limits.pids() > 0 ? limits.pids() : NO_PIDS_LIMIT, idleTimeout, network, "", "UTC");
  }

  /** The cgroup limits of this policy; {@code 0} where it sets none. */
  public dev.sandcastle.core.sandbox.Limits limits() {
    return new dev.sandcastle.core.sandbox.Limits(memoryBytes >= NO_MEMORY_LIMIT ? 0 : memoryBytes, pids >= NO_PIDS_LIMIT ? 0 : pids,
        cpus >= NO_CPU_LIMIT ? 0 : cpus);
  }

  /**
   * The same policy with every limit at most the server's maximum (its image and runtime are
   * checked elsewhere: {@link Policies}; its read-only paths are its own).
   */
  public Policy clampTo(Policy max) {
    return new Policy(id, image, runtime, env, Math.min(cpus, max.cpus), Math.min(memoryBytes, max.memoryBytes),
        Math.min(storageBytes, max.storageBytes), Math.min(pids, max.pids),
        idleTimeout.compareTo(max.idleTimeout) > 0 ? max.idleTimeout : idleTimeout,
        max.network.equals("none") ? "none" : network, resetCron, resetZone, readOnlyPaths);
  }
}
