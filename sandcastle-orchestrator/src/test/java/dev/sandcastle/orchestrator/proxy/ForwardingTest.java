package dev.sandcastle.orchestrator.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the proxy changes on the way: credentials in the query, hop-by-hop headers, the target URI. */
class ForwardingTest {
  private static final Upstream UPSTREAM = new Upstream(URI.create("http://10.0.0.5:8000"), "up-key");

  @Test
  void everyTokenParameterGetsTheUpstreamKeyAndTheRestStaysByteForByte() {
    assertThat(Forwarding.replaceToken("token=client&x=%2F%20y&token=again&tokens=keep", "up key/+"))
        .isEqualTo("token=up+key%2F%2B&x=%2F%20y&token=up+key%2F%2B&tokens=keep");
    assertThat(Forwarding.replaceToken("token", "k")).isEqualTo("token=k");
    assertThat(Forwarding.replaceToken(null, "k")).isEmpty();
    assertThat(Forwarding.replaceToken("a=1", "k")).isEqualTo("a=1");
  }

  @Test
  void headersNamedByConnectionAreHopByHopToo() {
    Set<String> tokens = Forwarding.connectionTokens(List.of("keep-alive, X-Hop", " close "));
    assertThat(tokens).containsExactlyInAnyOrder("keep-alive", "x-hop", "close");
    assertThat(Forwarding.forwardRequestHeader("X-HOP", tokens)).isFalse();
    assertThat(Forwarding.forwardResponseHeader("x-hop", tokens)).isFalse();
    assertThat(Forwarding.forwardRequestHeader("X-User-Id", tokens)).isTrue();
    for (String hop : List.of("Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade")) {
      assertThat(Forwarding.forwardRequestHeader(hop, Set.of())).as(hop).isFalse();
      assertThat(Forwarding.forwardResponseHeader(hop, Set.of())).as(hop).isFalse();
    }
    assertThat(Forwarding.forwardRequestHeader("Authorization", Set.of())).isFalse();
    assertThat(Forwarding.forwardRequestHeader("Host", Set.of())).isFalse();
    assertThat(Forwarding.forwardResponseHeader("Content-Length", Set.of())).isTrue();
    assertThat(Forwarding.forwardResponseHeader("Set-Cookie", Set.of())).isTrue();
  }

  @Test
  void targetsStayOnTheUpstream() {
    assertThat(Forwarding.target(UPSTREAM, "/files/read", "path=a%20b&token=c", false))
        .isEqualTo(URI.create("http://10.0.0.5:8000/files/read?path=a%20b&token=up-key"));
    assertThat(Forwarding.target(UPSTREAM, "/api/terminals/t1", null, true))
        .isEqualTo(URI.create("ws://10.0.0.5:8000/api/terminals/t1"));
    assertThat(Forwarding.target(new Upstream(URI.create("https://w.example/base/"), "k"), "/x", "", true))
        .isEqualTo(URI.create("wss://w.example/base/x"));
    assertThat(Forwarding.target(UPSTREAM, "//evil.example/x", null, false).getHost()).isEqualTo("10.0.0.5");
    assertThatThrownBy(() -> Forwarding.target(UPSTREAM, "files", null, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Forwarding.target(UPSTREAM, "/a b", null, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Forwarding.target(UPSTREAM, "/a#frag", null, false)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void forwardedForAppendsTheAddressThisServerSaw() {
    assertThat(Forwarding.forwardedFor(null, "192.0.2.1")).isEqualTo("192.0.2.1");
    assertThat(Forwarding.forwardedFor("203.0.113.7", "192.0.2.1")).isEqualTo("203.0.113.7, 192.0.2.1");
  }

  @Test
  void anUpstreamIsValidatedAndNeverPrintsItsKey() {
    assertThat(new Upstream(URI.create("HTTP://h:1/p/"), "secret-key").toString()).isEqualTo("Upstream[http://h:1/p]")
        .doesNotContain("secret-key");
    assertThatThrownBy(() -> new Upstream(URI.create("ftp://h"), "k")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Upstream(URI.create("http://h?x=1"), "k")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Upstream(URI.create("http://u:p@h"), "k")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Upstream(URI.create("http://h"), "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Upstream(URI.create("http://h"), "a\r\nX-Evil: 1")).isInstanceOf(IllegalArgumentException.class);
  }
}
