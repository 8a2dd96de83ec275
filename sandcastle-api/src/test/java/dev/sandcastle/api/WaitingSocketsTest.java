package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WaitingSocketsTest {
  @Test
  void oneAddressCannotTakeTheWholeBudgetAndReleasedPlacesComeBack() {
    WaitingSockets sockets = new WaitingSockets(5, 2, Duration.ofSeconds(10));
    assertThat(sockets.admit("a1", "203.0.113.7")).isNull();
    assertThat(sockets.admit("a2", "203.0.113.7")).isNull();
    assertThat(sockets.admit("a3", "203.0.113.7")).as("a third from one address").contains("too many of your connections");
    assertThat(sockets.admit("b1", "198.51.100.1")).as("others still get in").isNull();
    assertThat(sockets.admit("c1", "198.51.100.2")).isNull();
    assertThat(sockets.admit("d1", "198.51.100.3")).isNull();
    assertThat(sockets.admit("e1", "198.51.100.4")).as("the overall bound").contains("too many connections waiting");
    assertThat(sockets.size()).isEqualTo(5);

    assertThat(sockets.release("a1")).isTrue();
    assertThat(sockets.release("a1")).as("released once").isFalse();
    assertThat(sockets.admit("a3", "203.0.113.7")).isNull();
  }
}
