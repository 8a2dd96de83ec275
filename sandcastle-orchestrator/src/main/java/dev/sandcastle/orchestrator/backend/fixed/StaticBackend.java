package dev.sandcastle.orchestrator.backend.fixed;

import dev.sandcastle.orchestrator.backend.Backend;
import dev.sandcastle.orchestrator.backend.Instance;
import dev.sandcastle.orchestrator.policy.Policy;
import dev.sandcastle.orchestrator.tenant.Tenant;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code static} backend: every tenant is served by one fixed upstream server (a Sandcastle
 * or Open Terminal), which keeps users apart by itself (e.g. {@code sandcastle terminal
 * --multi-user}). There is no lifecycle: start returns the upstream, the rest does nothing.
 * (The package is named {@code fixed} because {@code static} is a Java keyword.)
 */
public final class StaticBackend implements Backend {
  private final Instance.Remote upstream;

  public StaticBackend(URI base, String apiKey) {
    this.upstream = new Instance.Remote("static", "static", base, apiKey);
  }

  @Override
  public String name() {
    return "static";
  }

  @Override
  public Instance start(Tenant tenant, Policy policy) {
    return upstream;
  }

  @Override
  public void stop(Tenant tenant) {}

  @Override
  public void reset(Tenant tenant) {}

  @Override
  public void destroy(Tenant tenant) {}

  @Override
  public Map<String, Instance> reconcile(Map<String, Tenant> known) {
    Map<String, Instance> adopted = new HashMap<>();
    known.forEach((id, tenant) -> adopted.put(id, upstream));
    return adopted;
  }

  @Override
  public Set<String> running() {
    return Set.of();
  }

  @Override
  public void close() {}
}
