package dev.sandcastle.interpreter.jupyter;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The kernel specs a server offers.
 *
 * @param defaultName the spec the server starts when asked for none (may name no listed spec on
 *     a misconfigured server; empty when the server names none)
 * @param specs the specs, sorted by name
 */
public record KernelSpecs(String defaultName, List<KernelSpec> specs) {
  public KernelSpecs {
    Objects.requireNonNull(defaultName, "defaultName");
    specs = List.copyOf(specs);
  }

  /** The names of the specs, sorted. */
  public List<String> names() {
    return specs.stream().map(KernelSpec::name).toList();
  }

  /** The spec with this name. */
  public Optional<KernelSpec> find(String name) {
    return specs.stream().filter(spec -> spec.name().equals(name)).findFirst();
  }
}
