package dev.sandcastle.core.sandbox;

import java.util.List;
import java.util.Map;

/**
 * What to start inside a sandbox.
 *
 * @param argv program and arguments, resolved inside the sandbox
 * @param cwd working directory as the sandbox sees it
 * @param env the complete environment: nothing is inherited
 */
public record SpawnSpec(List<String> argv, String cwd, Map<String, String> env) {
  public SpawnSpec {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv must not be empty");
    }
    if (cwd == null || !cwd.startsWith("/")) {
      throw new IllegalArgumentException("cwd must be absolute");
    }
  }
}
