package dev.sandcastle.orchestrator.policy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policies in force: those stored in the database, and the server's own {@code default}
 * unless one is stored under that id. Every policy is clamped to the server's maxima when it is
 * used, and images and runtimes are checked against the allow-lists when one is saved. A stored
 * policy naming a runtime the server no longer allows stops the server from starting (its tenants
 * would otherwise run under another runtime than the policy promises, e.g. without gVisor). Reads
 * are served from memory; writes go to the database first.
 */
public final class Policies {
  private static final Logger log = LoggerFactory.getLogger(Policies.class);
  private final PolicyRepository repository;
  private final Policy maxima;
  private final Set<String> allowedImages;
  private final Set<String> allowedRuntimes;
  private final Map<String, Policy> cache = new ConcurrentHashMap<>();

  /** Policies that may name no runtime but the server's default (""). */
  public Policies(PolicyRepository repository, Policy maxima, Set<String> allowedImages) {
    this(repository, maxima, allowedImages, Set.of());
  }

  /**
   * @param maxima the server's limits; also the {@code default} policy when none is stored
   * @param allowedImages images a policy may name ("" — the server's default image — is always allowed)
   * @param allowedRuntimes runtimes a policy may name ("" — the server's default runtime — is always
   *     allowed; the wiring adds the server's own default runtime by its name)
   */
  public Policies(PolicyRepository repository, Policy maxima, Set<String> allowedImages, Set<String> allowedRuntimes) {
    this.repository = repository;
    this.maxima = maxima;
    this.allowedImages = Set.copyOf(allowedImages);
    this.allowedRuntimes = Set.copyOf(allowedRuntimes);
    for (Policy stored : repository.list()) {
      if (!runtimeAllowed(stored.runtime())) {
        log.error("{}; its tenants cannot start until an admin changes the policy or the server's --allowed-runtimes",
            notAllowed(stored));
      }
      cache.put(stored.id(), stored.clampTo(maxima));
    }
  }

  private String notAllowed(Policy policy) {
    return "the policy '" + policy.id() + "' names the runtime '" + policy.runtime() + "', which this server does not allow ("
        + allowedText() + ")";
  }

  private boolean runtimeAllowed(String runtime) {
    return runtime.isEmpty() || allowedRuntimes.contains(runtime);
  }

  private String allowedText() {
    return allowedRuntimes.isEmpty() ? "it allows only its default runtime"
        : "allowed: " + String.join(", ", new java.util.TreeSet<>(allowedRuntimes)) + ", or empty for the server's default";
  }

  /**
   * The policy a tenant runs under, clamped.
   *
   * @throws NotFound no policy of that name
   * @throws Unavailable the stored policy names a runtime this server no longer allows (after a
   *     restart with a shorter --allowed-runtimes): its tenants never run under another runtime
   *     than the policy promises, and an admin can still see and change the policy
   */
  public Policy resolve(String id) {
    Policy policy = get(id);
    if (!runtimeAllowed(policy.runtime())) {
      throw new Unavailable(notAllowed(policy) + "; an admin must change the policy or the server's --allowed-runtimes");
    }
    return policy;
  }

  /**
   * The policy as stored (clamped), whether or not tenants can run under it now: what the admin
   * API shows.
   *
   * @throws NotFound no policy of that name
   */
  public Policy get(String id) {
    Policy policy = cache.get(id);
    if (policy != null) {
      return policy;
    }
    if (id.equals(TenantKey.DEFAULT_POLICY)) {
      return maxima;
    }
    throw new NotFound("no policy named '" + id + "'");
  }

  /** Stored and built-in policies, clamped. */
  public List<Policy> list() {
    Map<String, Policy> all = new java.util.TreeMap<>(cache);
    all.putIfAbsent(TenantKey.DEFAULT_POLICY, maxima);
    return List.copyOf(all.values());
  }

  /** Creates or replaces a policy; returns it as it will apply (clamped). */
  public Policy save(Policy policy) {
    if (!policy.image().isEmpty() && !allowedImages.contains(policy.image())) {
      throw new BadRequest("image '" + policy.image() + "' is not on the server's allow-list");
    }
    if (!runtimeAllowed(policy.runtime())) {
      throw new BadRequest("runtime '" + policy.runtime() + "' is not allowed on this server (" + allowedText() + ")");
    }
    if (!policy.resetCron().isEmpty()) {
      dev.sandcastle.orchestrator.tenant.CronSchedule.parse(policy.resetCron(), java.time.ZoneId.of(policy.resetZone()));
    }
    repository.save(policy);
    Policy clamped = policy.clampTo(maxima);
    cache.put(policy.id(), clamped);
    return clamped;
  }

  public void delete(String id) {
    if (!cache.containsKey(id)) {
      throw new NotFound("no stored policy named '" + id + "'");
    }
    repository.delete(id);
    cache.remove(id);
  }

  public Policy maxima() {
    return maxima;
  }
}
