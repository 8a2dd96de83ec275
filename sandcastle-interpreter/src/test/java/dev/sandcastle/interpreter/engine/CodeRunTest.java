package dev.sandcastle.interpreter.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the chat shows and replays to the model from a run's outputs. */
class CodeRunTest {

  @Test
  void stderrHoldsStreamsAndTracebacksInOrderWithoutAnsi() {
    CodeRun run = new CodeRun(CodeRun.Status.ERROR, List.of(
        new CodeOutput.Stream("stdout", "\u001b[1mbold\u001b[0m out\n"),
        new CodeOutput.Stream("stderr", "warning: slow"),
        new CodeOutput.Error("KeyError", "'k'", List.of("\u001b[31mTraceback\u001b[0m (most recent call last):\n  File x",
            "KeyError: 'k'")),
        new CodeOutput.Error("TimeoutError", "too slow", List.of())), Duration.ofMillis(5));

    assertThat(run.stdout()).isEqualTo("bold out\n");
    assertThat(run.stderr()).isEqualTo("warning: slow\nTraceback (most recent call last):\n  File x\nKeyError: 'k'\n"
        + "TimeoutError: too slow\n");
  }

  @Test
  void tracebackLinesWithOrWithoutLineBreaksGiveOneLineEach() {
    CodeOutput.Error python = new CodeOutput.Error("ValueError", "v",
        List.of("Traceback (most recent call last):\n", "  File \"<cell>\", line 1\n", "ValueError: v\n"));

    assertThat(python.text()).isEqualTo("Traceback (most recent call last):\n  File \"<cell>\", line 1\nValueError: v\n");
  }

  @Test
  void resultTextIsThePlainTextOfTheLastResult() {
    assertThat(new CodeRun(CodeRun.Status.OK, List.of(), Duration.ZERO).resultText()).isEmpty();
    CodeRun run = new CodeRun(CodeRun.Status.OK, List.of(
        new CodeOutput.Display(Map.of("text/plain", "<Figure>")),
        new CodeOutput.Result(Map.of("text/plain", "42", "text/html", "<b>42</b>"))), Duration.ZERO);
    assertThat(run.resultText()).contains("42");
  }

  @Test
  void bundlesDropNullsKeepOrderAndCannotChange() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("text/plain", "x");
    data.put("application/json", null);
    data.put("text/html", "<i>x</i>");
    CodeOutput.Display display = new CodeOutput.Display(data);

    assertThat(display.data()).containsExactly(Map.entry("text/plain", "x"), Map.entry("text/html", "<i>x</i>"));
    assertThatThrownBy(() -> display.data().put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> new CodeOutput.Stream("stdin", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThat(CodeRun.Status.ofWireName("timeout")).isEqualTo(CodeRun.Status.TIMEOUT);
    assertThat(CodeRun.Status.ofWireName("weird")).isEqualTo(CodeRun.Status.ERROR);
  }

  @Test
  void consecutiveStreamTextIsJoinedButLiveSeesEveryPiece() {
    List<CodeOutput> live = new ArrayList<>();
    RunOutputs outputs = new RunOutputs(live::add);
    outputs.emit(new CodeOutput.Stream("stdout", "a"));
    outputs.emit(new CodeOutput.Stream("stdout", "b"));
    outputs.emit(new CodeOutput.Stream("stderr", "c"));
    outputs.emit(new CodeOutput.Result(Map.of("text/plain", "1")));

    CodeRun run = outputs.finish(CodeRun.Status.OK);

    assertThat(live).hasSize(4);
    assertThat(run.outputs()).containsExactly(new CodeOutput.Stream("stdout", "ab"), new CodeOutput.Stream("stderr", "c"),
        new CodeOutput.Result(Map.of("text/plain", "1")));
  }

  @Test
  void aFloodOfOutputIsCutWithOneNote() {
    RunOutputs outputs = new RunOutputs(output -> {});
    String chunk = "x".repeat(1 << 16);
    for (int i = 0; i < 100; i++) {
      outputs.emit(new CodeOutput.Stream("stdout", chunk));
    }
    CodeRun run = outputs.finish(CodeRun.Status.OK);

    assertThat(run.stdout()).hasSize((int) RunOutputs.TEXT_LIMIT);
    assertThat(run.stderr()).isEqualTo(RunOutputs.TRUNCATED);
  }
}
