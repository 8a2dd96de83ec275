package dev.sandcastle.interpreter.openai;

import java.util.Objects;

/**
 * A model an upstream serves, as listed by {@link OpenAiClient#models()}.
 *
 * @param id the model id to send as {@code model} (e.g. {@code llama3.2:latest})
 * @param ownedBy the upstream's {@code owned_by}, or the upstream's name when it sent none or the
 *     list is configured
 * @param upstream the name of the {@link Upstream} serving it
 */
public record Model(String id, String ownedBy, String upstream) {
  public Model {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownedBy, "ownedBy");
    Objects.requireNonNull(upstream, "upstream");
    if (id.isBlank()) {
      throw new IllegalArgumentException("a model id must not be blank");
    }
  }
}
