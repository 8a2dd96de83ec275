package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WaitingSocketsTest {
  final List<String> closed = new ArrayList<>();

  Optional<Runnable> admit(WaitingSockets sockets, String session, String address) {
    return sockets.admit(session, address, () -> closed.add(session));
  }

  @Test
  void aClientOverItsShareDisplacesItsOwnOldestNotSomeoneElse() {
    WaitingSockets sockets = new WaitingSockets(5, 2, Duration.ofSeconds(10));
    assertThat(admit(sockets, "a1", "203.0.113.7")).isEmpty();
    assertThat(admit(sockets, "b1", "198.51.100.1")).isEmpty();
    assertThat(admit(sockets, "a2", "203.0.113.7")).isEmpty();
    admit(sockets, "a3", "203.0.113.7").ifPresent(Runnable::run);

    assertThat(closed).as("the client's own oldest made room").containsExactly("a1");
    assertThat(sockets.release("a1")).as("and no longer waits").isFalse();
    assertThat(sockets.release("b1")).as("the other client's socket still waits").isTrue();
    assertThat(sockets.waitingFrom("203.0.113.7")).isEqualTo(2);
  }

  @Test
  void whenAllPlacesAreTakenTheBusiestClientGivesOneUp() {
    WaitingSockets sockets = new WaitingSockets(4, 3, Duration.ofSeconds(10));
    admit(sockets, "a1", "203.0.113.7");
    admit(sockets, "b1", "198.51.100.1");
    admit(sockets, "a2", "203.0.113.7");
    admit(sockets, "a3", "203.0.113.7");
    admit(sockets, "c1", "192.0.2.9").ifPresent(Runnable::run);

    assertThat(closed).containsExactly("a1");
    assertThat(sockets.size()).isEqualTo(4);
    assertThat(sockets.waitingFrom("192.0.2.9")).isEqualTo(1);
    assertThat(sockets.waitingFrom("198.51.100.1")).isEqualTo(1);
  }

  @Test
  void anIpv6HostIsCountedByItsSlash64() {
    WaitingSockets sockets = new WaitingSockets(10, 2, Duration.ofSeconds(10));
    admit(sockets, "x1", "2001:db8:1:2::1");
    admit(sockets, "x2", "[2001:db8:1:2:ffff::9]");
    admit(sockets, "x3", "2001:db8:1:2:abcd::3").ifPresent(Runnable::run);
    admit(sockets, "y1", "2001:db8:1:3::1").ifPresent(Runnable::run);

    assertThat(closed).as("three addresses of one /64 share one place").containsExactly("x1");
    assertThat(WaitingSockets.client("2001:db8:1:2::1")).isEqualTo(WaitingSockets.client("2001:db8:1:2:ffff::9"));
    assertThat(WaitingSockets.client("203.0.113.7")).isEqualTo("203.0.113.7");
  }
}
