package dev.sandcastle.interpreter.jupyter;

import java.util.Objects;

/**
 * A running kernel as the server lists it.
 *
 * @param id the server's kernel id (a UUID)
 * @param name the kernel spec it was started from
 * @param executionState what the server last heard: {@code starting}, {@code idle}, {@code busy},
 *     {@code restarting}, {@code dead}, ...; empty when the server does not say
 * @param connections how many WebSocket connections the kernel has
 */
public record Kernel(String id, String name, String executionState, int connections) {
  public Kernel {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(executionState, "executionState");
  }
}
