package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.PayloadTooLarge;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class OpenAiClientStreamTest {
  private FakeOpenAi fake;
  private OpenAiClient client;
  private Upstream upstream;

  @BeforeEach
  void start() {
    fake = FakeOpenAi.start();
    upstream = new Upstream("fake", fake.baseUrl(), "sk-test-key");
    client = new OpenAiClient(Upstreams.of(List.of(upstream)));
  }

  @AfterEach
  void stop() {
    client.close();
    fake.close();
  }

  private static ObjectNode request(String text) {
    ObjectNode request = Json.MAPPER.createObjectNode().put("model", "fake-model");
    request.putArray("messages").addObject().put("role", "user").put("content", text);
    return request;
  }

  private List<ObjectNode> streamAll(Upstream target, ObjectNode request) {
    List<ObjectNode> chunks = new ArrayList<>();
    client.stream(target, request, chunks::add);
    return chunks;
  }

  private static String text(List<ObjectNode> chunks) {
    ToolCallAccumulator turn = new ToolCallAccumulator();
    chunks.forEach(turn::add);
    return turn.content();
  }

  @Test
  void chunksArriveInOrderAndTheRequestIsSentAsAStreamWithTheKey() {
    fake.enqueueText("Hello", ", ", "world");
    ObjectNode request = request("hi");

    List<ObjectNode> chunks = streamAll(upstream, request);

    assertThat(text(chunks)).isEqualTo("Hello, world");
    assertThat(chunks.getLast().path("choices").path(0).path("finish_reason").asString())
        .isEqualTo("stop");
    assertThat(chunks).allSatisfy(chunk ->
        assertThat(chunk.path("model").asString()).isEqualTo("fake-model"));
    ObjectNode sent = fake.requests().getFirst();
    assertThat(sent.path("stream").asBoolean()).isTrue();
    assertThat(sent.path("messages").path(0).path("content").asString()).isEqualTo("hi");
    assertThat(request.has("stream")).as("the caller's request is left alone").isFalse();
    FakeOpenAi.Received received = fake.received().getFirst();
    assertThat(received.header("Authorization")).contains("Bearer sk-test-key");
    assertThat(received.header("Accept")).contains("text/event-stream");
    assertThat(received.path()).isEqualTo("/v1/chat/completions");
  }

  @Test
  void noAuthorizationHeaderWithoutAKey() {
    fake.enqueueText("ok");
    streamAll(new Upstream("open", fake.baseUrl(), ""), request("hi"));

    assertThat(fake.received().getFirst().header("Authorization")).isEmpty();
  }

  @Test
  void eventsCutAcrossTcpWritesWithCrlfCommentsAndMultiLineDataAreDecoded() {
    // Writes cut events inside the field name, the JSON and the line ends (UTF-8 cut inside a
    // character: SseParserTest, byte by byte).
    fake.withDelay(Duration.ofMillis(5)).enqueueRaw(
        ": keep-alive\r\n\r\n",
        "da", "ta: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Gr\u00fc",
        "\u00dfe\"}}]}\r\n", "\r\n",
        "data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\" \uD83C\uDF0D",
        "\"}}]}\n\n: ping\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\r",
        "data: [DONE]\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after\"}}]}\n\n");

    List<ObjectNode> chunks = streamAll(upstream, request("hi"));

    assertThat(text(chunks)).isEqualTo("Grüße 🌍");
    assertThat(chunks).hasSize(3);
  }

  @Test
  void aStreamEndingWithoutDoneEndsTheCall() {
    fake.enqueueRaw("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"}}]}\n\n");

    assertThat(text(streamAll(upstream, request("hi")))).isEqualTo("cut");
  }

  @Test
  void aStreamWithoutAnyChunkIsUnavailable() {
    fake.enqueueRaw(": nothing but a comment\n\n", "{\"not\": \"an event\"}\n");

    assertThatThrownBy(() -> streamAll(upstream, request("hi")))
        .isInstanceOf(Unavailable.class)
        .hasMessage("the upstream 'fake' ended its answer without sending anything");
  }

  @Test
  void anUpstreamAnsweringPlainJsonToAStreamRequestGivesOneChunk() {
    fake.enqueueJson(Chunks.completion("x", "fake-model", 1,
        Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "whole"), "stop"));

    List<ObjectNode> chunks = streamAll(upstream, request("hi"));

    assertThat(chunks).hasSize(1);
    assertThat(text(chunks)).isEqualTo("whole");
    assertThat(chunks.getFirst().path("choices").path(0).path("finish_reason").asString())
        .isEqualTo("stop");
  }

  @Test
  void anEventThatIsNotJsonIsUnavailable() {
    fake.enqueueRaw("data: <html>oops</html>\n\n");

    assertThatThrownBy(() -> streamAll(upstream, request("hi")))
        .isInstanceOf(Unavailable.class)
        .hasMessage("the upstream 'fake' sent an event that is not a JSON object: '<html>oops</html>'");
  }

  @Test
  void anHttpErrorBecomesUnavailableWithTheUpstreamsMessageButNeverTheKey() {
    fake.requireApiKey("sk-the-right-one");
    Upstream wrong = new Upstream("fake", fake.baseUrl(), "sk-wrong-secret-123");

    assertThatThrownBy(() -> streamAll(wrong, request("hi")))
        .isInstanceOf(Unavailable.class)
        .hasMessageContaining("'fake' answered HTTP 401: Incorrect API key provided: ***")
        .hasMessageNotContaining("sk-wrong-secret-123");
  }

  @Test
  void aServerErrorCarriesItsMessage() {
    fake.enqueueError(500, "the GPU caught fire");

    assertThatThrownBy(() -> streamAll(upstream, request("hi")))
        .isInstanceOf(Unavailable.class)
        .hasMessage("the upstream 'fake' answered HTTP 500: the GPU caught fire");
  }

  @Test
  void anErrorInsideTheStreamBecomesUnavailable() {
    fake.enqueueRaw("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n",
        "data: {\"error\":{\"message\":\"model overloaded\",\"code\":502}}\n\n");
    List<ObjectNode> chunks = new ArrayList<>();

    assertThatThrownBy(() -> client.stream(upstream, request("hi"), chunks::add))
        .isInstanceOf(Unavailable.class)
        .hasMessage("the upstream 'fake' reported an error: model overloaded");
    assertThat(text(chunks)).isEqualTo("par");
  }

  @Test
  void anErrorEventBecomesUnavailable() {
    fake.enqueueRaw("event: error\ndata: {\"message\":\"quota exhausted\"}\n\n");

    assertThatThrownBy(() -> streamAll(upstream, request("hi")))
        .isInstanceOf(Unavailable.class).hasMessageContaining("quota exhausted");
  }

  @Test
  void anUnreachableUpstreamIsUnavailable() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Upstream gone = new Upstream("gone", "http://127.0.0.1:" + port + "/v1", "sk-secret-gone");

    assertThatThrownBy(() -> streamAll(gone, request("hi")))
        .isInstanceOf(Unavailable.class)
        .hasMessage("could not connect to the upstream 'gone' (connection refused)");
  }

  @Test
  void aHandlerThatThrowsClosesTheUpstreamConnectionAtOnce() throws Exception {
    try (TrickleServer endless = new TrickleServer()) {
      Upstream trickle = new Upstream("trickle", endless.baseUrl(), "");
      IllegalStateException boom = new IllegalStateException("client went away");

      assertThatThrownBy(() -> client.stream(trickle, request("hi"), chunk -> {
        throw boom;
      })).isSameAs(boom);

      assertThat(endless.awaitClientLeft(Duration.ofSeconds(1))).isTrue();
    }
  }

  @Test
  void interruptingTheCallerClosesTheUpstreamConnectionAtOnce() throws Exception {
    try (TrickleServer endless = new TrickleServer()) {
      Upstream trickle = new Upstream("trickle", endless.baseUrl(), "");
      CountDownLatch firstChunk = new CountDownLatch(1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicReference<Boolean> interruptFlag = new AtomicReference<>();
      Thread caller = Thread.ofVirtual().start(() -> {
        try {
          client.stream(trickle, request("hi"), chunk -> firstChunk.countDown());
        } catch (RuntimeException e) {
          failure.set(e);
          interruptFlag.set(Thread.currentThread().isInterrupted());
        }
      });
      assertThat(firstChunk.await(5, TimeUnit.SECONDS)).isTrue();

      caller.interrupt();

      assertThat(caller.join(Duration.ofSeconds(1))).as("stream() returned").isTrue();
      assertThat(failure.get()).isInstanceOf(Unavailable.class)
          .hasMessage("the call to the upstream 'trickle' was interrupted");
      assertThat(interruptFlag.get()).as("the interrupt flag stays set").isTrue();
      assertThat(endless.awaitClientLeft(Duration.ofSeconds(1))).isTrue();
    }
  }

  @Test
  void theFakeNoticesAStreamItsClientLeft() {
    String[] pieces = new String[500];
    java.util.Arrays.fill(pieces, "x");
    fake.withDelay(Duration.ofMillis(20)).enqueueText(pieces); // 10 s if left to run

    assertThatThrownBy(() -> client.stream(upstream, request("hi"), chunk -> {
      throw new IllegalStateException("stop");
    })).hasMessage("stop");

    // the JDK releases the socket when its selector next wakes: up to 3 s
    await().atMost(Duration.ofSeconds(5)).until(() -> fake.abortedStreams() == 1);
    assertThat(fake.completedStreams()).isZero();
  }

  @Test
  void anUpstreamSilentForTheIdleTimeoutIsUnavailable() {
    fake.withDelay(Duration.ofSeconds(3)).enqueueText("late");
    try (OpenAiClient impatient = new OpenAiClient(Upstreams.of(List.of(upstream)),
        OpenAiClient.Options.defaults().withIdleTimeout(Duration.ofMillis(300)))) {
      long start = System.nanoTime();

      assertThatThrownBy(() -> impatient.stream(upstream, request("hi"), chunk -> { }))
          .isInstanceOf(Unavailable.class)
          .hasMessage("the upstream 'fake' sent nothing for 300 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void completeSendsANonStreamingRequestAndReturnsTheWholeAnswer() {
    fake.enqueueToolCall("call_7", "execute_code", "{\"code\": \"print(6 * 7)\"}");
    ObjectNode request = request("compute");
    request.put("stream", true);
    request.putObject("stream_options").put("include_usage", true);

    ObjectNode answer = client.complete(upstream, request);

    ObjectNode sent = fake.requests().getFirst();
    assertThat(sent.path("stream").asBoolean(true)).isFalse();
    assertThat(sent.has("stream_options")).isFalse();
    assertThat(answer.path("object").asString()).isEqualTo("chat.completion");
    assertThat(answer.path("choices").path(0).path("finish_reason").asString())
        .isEqualTo("tool_calls");
    var call = answer.path("choices").path(0).path("message").path("tool_calls").path(0);
    assertThat(call.path("id").asString()).isEqualTo("call_7");
    assertThat(call.path("function").path("name").asString()).isEqualTo("execute_code");
    assertThat(call.path("function").path("arguments").asString())
        .isEqualTo("{\"code\": \"print(6 * 7)\"}");
  }

  @Test
  void completeReportsHttpErrors() {
    fake.enqueueError(400, "This model's maximum context length is 8192 tokens");

    assertThatThrownBy(() -> client.complete(upstream, request("long")))
        .isInstanceOf(BadRequest.class)
        .hasMessageContaining("the model refused the request: the upstream 'fake' answered HTTP 400: This model's maximum context length is 8192 tokens");
  }

  @Test
  void refusalsOfTheRequestAreTheCallersAndTheRestAreUnavailable() {
    fake.enqueueError(429, "Rate limit reached");
    assertThatThrownBy(() -> client.stream(upstream, request("hi"), chunk -> { }))
        .isInstanceOf(QuotaExceeded.class).hasMessageContaining("HTTP 429: Rate limit reached");
    fake.enqueueError(413, "Request too large");
    assertThatThrownBy(() -> client.stream(upstream, request("hi"), chunk -> { }))
        .isInstanceOf(PayloadTooLarge.class).hasMessageContaining("HTTP 413");
    fake.enqueueError(404, "no such path");
    assertThatThrownBy(() -> client.stream(upstream, request("hi"), chunk -> { }))
        .as("a wrong base URL is the server's").isInstanceOf(Unavailable.class).hasMessageContaining("HTTP 404");
  }

  @Test
  void oneConnectionServesConsecutiveStreams() {
    for (int i = 0; i < 3; i++) {
      fake.enqueueText("turn " + i);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(text(streamAll(upstream, request("hi")))).isEqualTo("turn " + i);
    }
    assertThat(fake.abortedStreams()).isZero();
    assertThat(fake.completedStreams()).isEqualTo(3);
    assertThat(fake.received()).extracting(FakeOpenAi.Received::clientPort).containsOnly(
        fake.received().getFirst().clientPort());
  }
}
