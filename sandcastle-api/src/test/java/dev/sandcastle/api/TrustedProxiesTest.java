package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedProxiesTest {
  static final TrustedProxies PROXIES = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1, fd00::/8");

  static InetAddress ip(String literal) {
    return InetAddress.ofLiteral(literal);
  }

  static String client(String peer, String... forwardedFor) {
    return PROXIES.client(ip(peer), List.of(forwardedFor)).getHostAddress();
  }

  @Test
  void rangesAndSingleAddressesAreParsedAndBadEntriesNamed() {
    assertThat(PROXIES.trusts(ip("10.200.3.4"))).isTrue();
    assertThat(PROXIES.trusts(ip("11.0.0.1"))).isFalse();
    assertThat(PROXIES.trusts(ip("127.0.0.1"))).isTrue();
    assertThat(PROXIES.trusts(ip("127.0.0.2"))).isFalse();
    assertThat(PROXIES.trusts(ip("fd12::1"))).isTrue();
    assertThat(PROXIES.trusts(ip("fe80::1"))).isFalse();
    assertThat(TrustedProxies.parse("172.16.0.0/12").trusts(ip("172.31.255.255"))).isTrue();
    assertThat(TrustedProxies.parse("172.16.0.0/12").trusts(ip("172.32.0.0"))).isFalse();
    assertThat(TrustedProxies.parse(" , ").any()).isFalse();
    assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/33")).hasMessageContaining("'10.0.0.0/33'").hasMessageContaining("0-32");
    assertThatThrownBy(() -> TrustedProxies.parse("proxy.example.com")).hasMessageContaining("'proxy.example.com'");
    assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/x")).hasMessageContaining("not a CIDR range");
    assertThatThrownBy(() -> TrustedProxies.parse("0.0.0.0/0")).hasMessageContaining("trusts every address");
  }

  @Test
  void theClientIsTheFirstUntrustedHopFromTheRight() {
    assertThat(client("10.0.0.5", "203.0.113.7")).isEqualTo("203.0.113.7");
    // two proxies of ours in a row
    assertThat(client("10.0.0.5", "203.0.113.7, 10.1.1.1")).isEqualTo("203.0.113.7");
    // a client that sends its own header gains nothing: its entries lie left of the real one
    assertThat(client("10.0.0.5", "1.2.3.4, 203.0.113.7")).isEqualTo("203.0.113.7");
    // the header split over two lines reads as one list
    assertThat(client("10.0.0.5", "1.2.3.4", "203.0.113.7")).isEqualTo("203.0.113.7");
    assertThat(client("10.0.0.5", "[2001:db8::7]")).isEqualTo("2001:db8:0:0:0:0:0:7");
  }

  @Test
  void anUntrustedPeerOrAnUnreadableHopIsNeverPassedOver() {
    assertThat(client("198.51.100.9", "203.0.113.7")).as("a direct client's header is ignored").isEqualTo("198.51.100.9");
    assertThat(client("10.0.0.5", "evil.example.com")).as("names are not resolved").isEqualTo("10.0.0.5");
    assertThat(client("10.0.0.5", "203.0.113.7, unknown, 10.1.1.1")).isEqualTo("10.1.1.1");
    assertThat(client("10.0.0.5", "203.0.113.7:4711")).as("a port makes it unreadable").isEqualTo("10.0.0.5");
    assertThat(client("10.0.0.5", "10.1.1.1, 10.2.2.2")).as("all ours: the furthest one").isEqualTo("10.1.1.1");
    assertThat(client("10.0.0.5")).isEqualTo("10.0.0.5");
  }

  @Test
  void aServerBehindATrustedProxySeesTheClientsAddress(@TempDir Path dir) throws Exception {
    ApiSettings settings = new ApiSettings("key-0123456789abcdef", 1 << 20, 1 << 20, dir).withProxies(TrustedProxies.parse("127.0.0.1"));
    Javalin app = WorkspaceApi.server("127.0.0.1", 0, settings, routes -> routes.get("/health", ctx -> ctx.result(ctx.ip())));
    app.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + app.port() + "/health");
      HttpResponse<String> forwarded = http.send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "1.2.3.4, 203.0.113.7").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(forwarded.body()).isEqualTo("203.0.113.7");
      HttpResponse<String> direct = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(direct.body()).isEqualTo("127.0.0.1");
    } finally {
      app.stop();
    }
    ApiSettings untrusting = new ApiSettings("key-0123456789abcdef", 1 << 20, 1 << 20, dir);
    Javalin plain = WorkspaceApi.server("127.0.0.1", 0, untrusting, routes -> routes.get("/health", ctx -> ctx.result(ctx.ip())));
    plain.start();
    try {
      HttpResponse<String> spoofed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain.port() + "/health"))
          .header("X-Forwarded-For", "203.0.113.7").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(spoofed.body()).as("no trusted proxies: the header is ignored").isEqualTo("127.0.0.1");
    } finally {
      plain.stop();
    }
  }
}
