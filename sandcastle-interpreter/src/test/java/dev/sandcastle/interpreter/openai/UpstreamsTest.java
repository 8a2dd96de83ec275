package dev.sandcastle.interpreter.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamsTest {

  @Test
  void severalUpstreamsWithKeysMatchedByPosition() {
    Upstreams upstreams = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://127.0.0.1:11434/v1; https://api.openai.com/v1/",
        "OPENAI_API_KEYS", "; sk-secret"));

    assertThat(upstreams.all()).containsExactly(
        new Upstream("127.0.0.1:11434", "http://127.0.0.1:11434/v1", ""),
        new Upstream("api.openai.com", "https://api.openai.com/v1", "sk-secret"));
  }

  @Test
  void missingKeysAreEmptyAndSurplusKeysIgnored() {
    Upstreams fewer = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://a:1/v1;http://b:2/v1", "OPENAI_API_KEYS", "ka"));
    assertThat(fewer.all()).extracting(Upstream::apiKey).containsExactly("ka", "");

    Upstreams more = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://a:1/v1", "OPENAI_API_KEYS", "ka;kb;kc"));
    assertThat(more.all()).extracting(Upstream::apiKey).containsExactly("ka");
  }

  @Test
  void theSingleFormIsUsedWhenTheListIsNotSet() {
    Upstreams upstreams = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URL", "https://api.openai.com/v1", "OPENAI_API_KEY", "sk-one"));

    assertThat(upstreams.all())
        .containsExactly(new Upstream("api.openai.com", "https://api.openai.com/v1", "sk-one"));
  }

  @Test
  void theListWinsOverTheSingleFormAndTheSingleKeyServesTheList() {
    Upstreams upstreams = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://list:8000/v1",
        "OPENAI_API_BASE_URL", "http://single:8000/v1",
        "OPENAI_API_KEY", "k"));

    assertThat(upstreams.all())
        .containsExactly(new Upstream("list:8000", "http://list:8000/v1", "k"));
  }

  @Test
  void nothingConfiguredOrTurnedOffMeansNoUpstream() {
    assertThat(Upstreams.fromEnvironment(Map.of()).isEmpty()).isTrue();
    assertThat(Upstreams.fromEnvironment(Map.of("OPENAI_API_BASE_URLS", " ; ")).isEmpty()).isTrue();
    assertThat(Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URL", "http://x/v1", "ENABLE_OPENAI_API", "False")).isEmpty()).isTrue();
  }

  @Test
  void blankEntriesAreSkippedWithoutShiftingTheKeys() {
    Upstreams upstreams = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://a/v1;;http://c/v1", "OPENAI_API_KEYS", "ka;kb;kc"));

    assertThat(upstreams.all()).extracting(Upstream::name, Upstream::apiKey)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", "ka"),
            org.assertj.core.groups.Tuple.tuple("c", "kc"));
  }

  @Test
  void theSameHostTwiceGetsDistinctNames() {
    Upstreams upstreams = Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://gpu:8000/v1;http://gpu:8000/other/v1;http://GPU:8000/x"));

    assertThat(upstreams.all()).extracting(Upstream::name)
        .containsExactly("gpu:8000", "gpu:8000#2", "gpu:8000#3");
    assertThat(upstreams.named("gpu:8000#2")).get().extracting(Upstream::baseUrl)
        .isEqualTo("http://gpu:8000/other/v1");
  }

  @Test
  void aMalformedUrlNamesTheVariableAndTheEntry() {
    assertThatThrownBy(() -> Upstreams.fromEnvironment(Map.of(
        "OPENAI_API_BASE_URLS", "http://ok/v1;localhost:11434/v1", "OPENAI_API_KEYS", "k1;k2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("OPENAI_API_BASE_URLS (entry 2): ")
        .hasMessageContaining("must start with http:// or https://")
        .hasMessageNotContaining("k2");
    assertThatThrownBy(() -> Upstreams.fromEnvironment(Map.of("OPENAI_API_BASE_URL", "http://a b/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("OPENAI_API_BASE_URL: ")
        .hasMessageContaining("not a valid URL");
    assertThatThrownBy(() -> Upstreams.fromEnvironment(Map.of("OPENAI_API_BASE_URL", "http:///v1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
  }

  @Test
  void aUrlWithCredentialsOrQueryIsRefusedWithoutRepeatingIt() {
    assertThatThrownBy(() -> new Upstream("x", "https://user:hunter2@host/v1", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("user name or password")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> new Upstream("x", "https://host/v1?api-key=hunter2", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> new Upstream("x", "ftp://host?key=hunter2", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void toStringNeverShowsTheKey() {
    Upstream upstream = new Upstream("openai", "https://api.openai.com/v1", "sk-very-secret",
        List.of("gpt-4o"));

    assertThat(upstream.toString()).doesNotContain("sk-very-secret").contains("***", "gpt-4o");
    assertThat(Upstreams.of(List.of(upstream)).toString()).doesNotContain("sk-very-secret");
  }

  @Test
  void ofRefusesTwoUpstreamsWithOneName() {
    assertThatThrownBy(() -> Upstreams.of(List.of(
        new Upstream("same", "http://a/v1", ""), new Upstream("same", "http://b/v1", ""))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'same'");
  }

  @Test
  void aKeyWithALineBreakIsRefused() {
    assertThatThrownBy(() -> new Upstream("x", "http://a/v1", "sk-1\r\nX-Evil: 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control characters")
        .hasMessageNotContaining("sk-1");
  }
}
