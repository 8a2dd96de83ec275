package dev.sandcastle.orchestrator.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class FailureThrottleTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T12:00:00Z"));
  private final FailureThrottle throttle = new FailureThrottle(clock);

  private void fail(String address, int times) {
    for (int i = 0; i < times; i++) {
      throttle.failed(address);
    }
  }

  @Test
  void noPenaltyWithoutFailuresOrForTheFirstFour() {
    assertThat(throttle.penalty("203.0.113.7")).isZero();
    fail("203.0.113.7", 4);
    assertThat(throttle.penalty("203.0.113.7")).isZero();
  }

  @Test
  void thePenaltyDoublesFromTheFifthFailureUpToFiveSeconds() {
    List<Duration> penalties = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      throttle.failed("203.0.113.7");
      penalties.add(throttle.penalty("203.0.113.7"));
    }

    assertThat(penalties).extracting(Duration::toMillis)
        .containsExactly(0L, 0L, 0L, 0L, 100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L);
    fail("203.0.113.7", 100);
    assertThat(throttle.penalty("203.0.113.7")).isEqualTo(FailureThrottle.MAX_PENALTY);
    assertThat(throttle.penalty("198.51.100.1")).as("other addresses are not affected").isZero();
  }

  @Test
  void aSuccessForgetsTheFailures() {
    fail("203.0.113.7", 8);
    throttle.succeeded("203.0.113.7");

    assertThat(throttle.penalty("203.0.113.7")).isZero();
    fail("203.0.113.7", 4);
    assertThat(throttle.penalty("203.0.113.7")).isZero();
  }

  @Test
  void failuresAreForgottenAfterTenMinutes() {
    fail("203.0.113.7", 6);
    clock.advance(Duration.ofMinutes(9));
    assertThat(throttle.penalty("203.0.113.7")).isEqualTo(Duration.ofMillis(200));

    clock.advance(Duration.ofMinutes(1));
    assertThat(throttle.penalty("203.0.113.7")).isZero();
    fail("203.0.113.7", 4);
    assertThat(throttle.penalty("203.0.113.7")).as("a new window starts from zero").isZero();
  }

  @Test
  void ipv6AddressesCountPerSlash64() {
    fail("2001:db8:1:2::1", 3);
    fail("[2001:db8:1:2:ffff::9]", 2);
    fail("2001:db8:1:3::1", 4);

    assertThat(throttle.penalty("2001:db8:1:2::77")).isEqualTo(Duration.ofMillis(100));
    assertThat(throttle.penalty("2001:db8:1:3::1")).isZero();
    fail("::ffff:203.0.113.7", 5);
    assertThat(throttle.penalty("203.0.113.7")).as("an IPv4 address written as IPv6 is the same address").isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void atMostOneHundredThousandAddressesAreRemembered() {
    fail("203.0.113.7", 6);
    for (int i = 0; i < FailureThrottle.MAX_ADDRESSES; i++) {
      throttle.failed("10." + (i >> 16) + "." + ((i >> 8) & 0xff) + "." + (i & 0xff));
    }

    assertThat(throttle.size()).isEqualTo(FailureThrottle.MAX_ADDRESSES);
    assertThat(throttle.penalty("203.0.113.7")).as("the least recently seen address was forgotten").isZero();
  }

  @Test
  void recentlySeenAddressesSurviveEviction() {
    FailureThrottle small = new FailureThrottle(clock, 3);
    for (int i = 0; i < 6; i++) {
      small.failed("a");
    }
    small.failed("b");
    small.failed("c");
    assertThat(small.penalty("a")).isPositive(); // seen again: now the most recent
    small.failed("d");

    assertThat(small.penalty("a")).isEqualTo(Duration.ofMillis(200));
    assertThat(small.size()).isEqualTo(3);
  }

  @Test
  void concurrentFailuresAreAllCounted() {
    try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 7; i++) {
        threads.submit(() -> throttle.failed("203.0.113.7"));
      }
    }

    assertThat(throttle.penalty("203.0.113.7")).isEqualTo(Duration.ofMillis(400));
  }
}
