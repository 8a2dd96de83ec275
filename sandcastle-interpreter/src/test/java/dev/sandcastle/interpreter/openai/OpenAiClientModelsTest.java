package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiClientModelsTest {
  private FakeOpenAi ollama;
  private FakeOpenAi vllm;
  private Upstream ollamaUpstream;
  private Upstream vllmUpstream;

  @BeforeEach
  void start() {
    ollama = FakeOpenAi.start().models("llama3.2:latest", "qwen3:8b");
    vllm = FakeOpenAi.start().models("Qwen/Qwen3-32B", "qwen3:8b");
    ollamaUpstream = new Upstream("ollama", ollama.baseUrl(), "");
    vllmUpstream = new Upstream("vllm", vllm.baseUrl(), "sk-vllm");
  }

  @AfterEach
  void stop() {
    ollama.close();
    vllm.close();
  }

  private static int modelListings(FakeOpenAi fake) {
    return (int) fake.received().stream().filter(r -> r.path().equals("/v1/models")).count();
  }

  private static String closedPortUrl() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
    }
  }

  @Test
  void modelsOfAllUpstreamsAreMergedInOrderAndTheFirstUpstreamWinsADuplicate() {
    Upstream fixed = new Upstream("openai", "https://api.openai.invalid/v1", "sk-x",
        List.of("gpt-4o", "gpt-4o-mini"));
    try (OpenAiClient client = new OpenAiClient(
        Upstreams.of(List.of(ollamaUpstream, vllmUpstream, fixed)))) {

      assertThat(client.models()).containsExactly(
          new Model("llama3.2:latest", "fake", "ollama"),
          new Model("qwen3:8b", "fake", "ollama"),
          new Model("Qwen/Qwen3-32B", "fake", "vllm"),
          new Model("gpt-4o", "openai", "openai"),
          new Model("gpt-4o-mini", "openai", "openai"));
      assertThat(client.upstreamFor("qwen3:8b")).isEqualTo(ollamaUpstream);
      assertThat(client.upstreamFor("Qwen/Qwen3-32B")).isEqualTo(vllmUpstream);
      assertThat(client.upstreamFor("gpt-4o")).isEqualTo(fixed);
      assertThat(vllm.received().getFirst().header("Authorization")).contains("Bearer sk-vllm");
    }
  }

  @Test
  void aFailingUpstreamIsLeftOutAndAskedAgainNextTime() throws IOException {
    vllm.failModels(503, "loading model");
    Upstream gone = new Upstream("gone", closedPortUrl(), "");
    try (OpenAiClient client = new OpenAiClient(
        Upstreams.of(List.of(gone, ollamaUpstream, vllmUpstream)))) {

      assertThat(client.models()).extracting(Model::id)
          .containsExactly("llama3.2:latest", "qwen3:8b");

      vllm.models("Qwen/Qwen3-32B");
      assertThat(client.models()).extracting(Model::id)
          .containsExactly("llama3.2:latest", "qwen3:8b", "Qwen/Qwen3-32B");
      assertThat(modelListings(vllm)).isEqualTo(2);
      assertThat(modelListings(ollama)).as("a good answer is reused for a minute").isEqualTo(1);
    }
  }

  @Test
  void listsAreAskedAgainWhenTheCacheExpires() {
    try (OpenAiClient client = new OpenAiClient(Upstreams.of(List.of(ollamaUpstream)),
        OpenAiClient.Options.defaults().withModelsCacheTtl(Duration.ofMillis(1)))) {
      client.models();
      ollama.models("llama3.2:latest", "new-model");

      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2)).until(
          () -> client.models().stream().anyMatch(m -> m.id().equals("new-model")));
    }
  }

  @Test
  void anUnknownModelIsNotFound() {
    try (OpenAiClient client = new OpenAiClient(Upstreams.of(List.of(ollamaUpstream)))) {
      assertThatThrownBy(() -> client.upstreamFor("gpt-5"))
          .isInstanceOf(NotFound.class)
          .hasMessage("no upstream offers the model 'gpt-5'");
    }
  }

  @Test
  void noUpstreamsMeansNoModels() {
    try (OpenAiClient client = new OpenAiClient(Upstreams.of(List.of()))) {
      assertThat(client.models()).isEmpty();
      assertThatThrownBy(() -> client.upstreamFor("any")).isInstanceOf(NotFound.class);
    }
  }

  @Test
  void anUnknownModelWhileAnUpstreamIsDownIsUnavailableAndSaysWhy() throws IOException {
    Upstream gone = new Upstream("gone", closedPortUrl(), "sk-gone-secret");
    try (OpenAiClient client = new OpenAiClient(Upstreams.of(List.of(ollamaUpstream, gone)))) {
      assertThat(client.upstreamFor("llama3.2:latest")).isEqualTo(ollamaUpstream);
      assertThatThrownBy(() -> client.upstreamFor("model-on-gone"))
          .isInstanceOf(Unavailable.class)
          .hasMessageContaining("'model-on-gone'")
          .hasMessageContaining("could not connect to the upstream 'gone' (connection refused)")
          .hasMessageNotContaining("sk-gone-secret");
    }
  }

  @Test
  void aModelListRefusedForTheKeyNeverRepeatsTheKey() {
    vllm.requireApiKey("sk-right");
    try (OpenAiClient client = new OpenAiClient(Upstreams.of(List.of(vllmUpstream)))) {
      assertThat(client.models()).isEmpty();
      assertThatThrownBy(() -> client.upstreamFor("Qwen/Qwen3-32B"))
          .isInstanceOf(Unavailable.class)
          .hasMessageContaining("'vllm' answered HTTP 401")
          .hasMessageNotContaining("sk-vllm");
    }
  }
}
