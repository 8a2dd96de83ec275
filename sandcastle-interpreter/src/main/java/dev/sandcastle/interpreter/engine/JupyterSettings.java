package dev.sandcastle.interpreter.engine;

import dev.sandcastle.interpreter.jupyter.JupyterAuth;
import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link JupyterEngine} reaches its Jupyter Server and how many kernels it keeps there.
 * The secret never appears in {@code toString()}.
 *
 * @param url the server's base URL, e.g. {@code http://jupyter:8888/} (with the server's base
 *     path, if any)
 * @param auth the server's token or password
 * @param kernelSpec the kernel spec to start for each chat, e.g. {@code python3}
 * @param idleTimeout a chat's kernel is shut down after this long without a run (its state is
 *     lost)
 * @param maxKernels kernels kept at once for all users; when a new chat needs one, the kernel
 *     idle the longest is shut down
 * @param maxKernelsPerUser kernels kept at once for one user (at most {@code maxKernels}): a user's
 *     new chat beyond it shuts down that user's own kernel idle the longest, so that one user's
 *     many chats cannot take every kernel from the others
 */
public record JupyterSettings(String url, JupyterAuth auth, String kernelSpec, Duration idleTimeout, int maxKernels,
    int maxKernelsPerUser) {
  /** Kernel spec started by default. */
  public static final String DEFAULT_KERNEL_SPEC = "python3";
  /** Idle time after which a chat's kernel is shut down by default. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
  /** Kernels kept at once by default. */
  public static final int DEFAULT_MAX_KERNELS = 64;
  /** Kernels kept at once for one user by default. */
  public static final int DEFAULT_MAX_KERNELS_PER_USER = 8;

  public JupyterSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(kernelSpec, "kernelSpec");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (url.isBlank()) {
      throw new IllegalArgumentException("the Jupyter server URL is empty");
    }
    if (kernelSpec.isBlank()) {
      throw new IllegalArgumentException("the Jupyter kernel spec name is empty");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("the Jupyter kernel idle timeout must be positive");
    }
    if (maxKernels < 1) {
      throw new IllegalArgumentException("the Jupyter engine must be allowed at least one kernel");
    }
    if (maxKernelsPerUser < 1) {
      throw new IllegalArgumentException("each user must be allowed at least one Jupyter kernel");
    }
    maxKernelsPerUser = Math.min(maxKernelsPerUser, maxKernels);
  }

  /** A server reached with a token, with the default kernel spec, idle timeout and kernel bound. */
  public JupyterSettings(String url, String token) {
    this(url, JupyterAuth.token(token), DEFAULT_KERNEL_SPEC, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_KERNELS, DEFAULT_MAX_KERNELS_PER_USER);
  }
}
