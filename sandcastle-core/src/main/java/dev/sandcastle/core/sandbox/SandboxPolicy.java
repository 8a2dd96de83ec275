package dev.sandcastle.core.sandbox;

/**
 * How a workspace's processes are confined.
 *
 * @param mechanism {@code BWRAP} (namespaces via bubblewrap) or {@code NONE} (already inside a container)
 * @param network {@code NONE} (no network at all, the default) or {@code HOST}
 * @param limits cgroup limits for the whole workspace
 */
public record SandboxPolicy(Mechanism mechanism, Network network, Limits limits) {
  public SandboxPolicy {
    if (mechanism == null || network == null || limits == null) {
      throw new IllegalArgumentException("mechanism, network and limits are required");
    }
  }

  public enum Mechanism { BWRAP, NONE }

  public enum Network { NONE, HOST }
}
