package dev.sandcastle.interpreter.jupyter;

import java.util.Objects;

/**
 * One kernel the server can start.
 *
 * @param name the name to pass to {@link JupyterClient#startKernel(String)}, e.g. {@code python3}
 * @param displayName the human name, e.g. "Python 3 (ipykernel)"; the name when the spec has none
 * @param language the kernel's language, e.g. {@code python}; empty when the spec says nothing
 */
public record KernelSpec(String name, String displayName, String language) {
  public KernelSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(displayName, "displayName");
    Objects.requireNonNull(language, "language");
  }
}
