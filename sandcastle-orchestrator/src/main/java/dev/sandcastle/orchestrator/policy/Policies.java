package dev.sandcastle.orchestrator.policy;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The policies in force: those stored in the database, and the server's own {@code default}
 * unless one is stored under that id. Every policy is clamped to the server's maxima when it is
 * used, and images are checked against the allow-list when one is saved. Reads are served from
 * memory; writes go to the database first.
 */
public final class Policies {
  private final PolicyRepository repository;
  private final Policy maxima;
  private final Set<String> allowedImages;
  private final Map<String, Policy> cache = new ConcurrentHashMap<>();

  /**
   * @param maxima the server's limits; also the {@code default} policy when none is stored
   * @param allowedImages images a policy may name ("" — the server's default image — is always allowed)
   */
  public Policies(PolicyRepository repository, Policy maxima, Set<String> allowedImages) {
    this.repository = repository;
    this.maxima = maxima;
    this.allowedImages = Set.copyOf(allowedImages);
    repository.list().forEach(p -> cache.put(p.id(), p.clampTo(maxima)));
  }

  /** The policy a tenant runs under, clamped. */
  public Policy resolve(String id) {
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
