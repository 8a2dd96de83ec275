package dev.sandcastle.orchestrator.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.BadRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyTest {
  static Policy withRuntime(String runtime) {
    return new Policy("gvisor-users", "", runtime, Map.of(), 1, 1L << 30, 1L << 30, 64, Duration.ofMinutes(5), "none", "", "UTC");
  }

  @ParameterizedTest
  @ValueSource(strings = {"runsc", "gvisor", "kata-qemu", "runsc_debug", "io.containerd.runsc.v1", "0"})
  void aRuntimeIsALowerCaseName(String runtime) {
    assertThat(withRuntime(runtime).runtime()).isEqualTo(runtime);
  }

  @Test
  void noRuntimeIsTheServersDefault() {
    assertThat(withRuntime(null).runtime()).isEmpty();
    assertThat(withRuntime("").runtime()).isEmpty();
    assertThat(withRuntime("  ").runtime()).isEmpty();
    assertThat(withRuntime(" runsc ").runtime()).isEqualTo("runsc");
    // The form without a runtime names none.
    assertThat(new Policy("old", "", Map.of(), 1, 1, 1, 1, Duration.ofSeconds(1), "none", "", "UTC").runtime()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"RunSC", "-runsc", ".runsc", "_x", "run sc", "runsc;rm", "/usr/bin/runsc", "--runtime=runc", "run\tsc",
      "gvisör", "a234567890123456789012345678901234567890123456789012345678901234"})
  void anythingElseIsABadRequestSayingWhatARuntimeIs(String runtime) {
    assertThatThrownBy(() -> withRuntime(runtime)).isInstanceOf(BadRequest.class)
        .hasMessageContaining("runtime is empty (the server's default) or 1-63 of lower-case letters");
  }

  @Test
  void aRuntimeOfSixtyThreeCharactersIsAllowed() {
    String longest = "a".repeat(63);
    assertThat(withRuntime(longest).runtime()).isEqualTo(longest);
  }

  @Test
  void clampingKeepsTheRuntimeAndTheServersPolicyNamesNone() {
    Policy maxima = Policy.serverMaxima(new dev.sandcastle.core.sandbox.Limits(512L << 20, 32, 0.5), 1L << 30, Duration.ofMinutes(1), "none");
    assertThat(maxima.runtime()).isEmpty();

    Policy clamped = withRuntime("runsc").clampTo(maxima);

    assertThat(clamped.runtime()).isEqualTo("runsc");
    assertThat(clamped.memoryBytes()).isEqualTo(512L << 20);
  }

  @ParameterizedTest
  @ValueSource(strings = {"etc/pip.conf", "/", "/opt/../etc/shadow", "/opt/./x", "/opt//x", "/opt/", "/proc", "/proc/1/root",
      "/dev/sda", "/sys", "/tmp/x", "/run", "/home", "/home/user/.ssh", "/var", "/mnt", "/opt/a,b", "/opt/a\nb"})
  void aReadOnlyPathThatIsNotAbsoluteAndNormalOrCoversTheSandboxsOwnIsABadRequest(String path) {
    Policy policy = withRuntime("");
    assertThatThrownBy(() -> policy.withReadOnlyPaths(java.util.List.of(path))).isInstanceOf(BadRequest.class)
        .hasMessageContaining(path.contains("\n") ? "control characters" : path);
  }

  @Test
  void readOnlyPathsAreKeptByClampingAndCountedAtMostThirtyTwo() {
    Policy policy = withRuntime("").withReadOnlyPaths(java.util.List.of("/opt/models", "/etc/pip.conf", "/usr/share/dict"));
    assertThat(policy.clampTo(withRuntime("")).readOnlyPaths()).containsExactly("/opt/models", "/etc/pip.conf", "/usr/share/dict");
    assertThatThrownBy(() -> policy.withReadOnlyPaths(java.util.stream.IntStream.range(0, 33).mapToObj(i -> "/opt/m" + i).toList()))
        .isInstanceOf(BadRequest.class).hasMessageContaining("at most 32");
  }
}
