package dev.sandcastle.interpreter.xml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandcastle.interpreter.xml.CodeTagParser.Event;
import dev.sandcastle.interpreter.xml.CodeTagParser.Event.CodeFinished;
import dev.sandcastle.interpreter.xml.CodeTagParser.Event.CodeStarted;
import dev.sandcastle.interpreter.xml.CodeTagParser.Event.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The parser on realistic replies, split into chunks in every possible way. */
class CodeTagParserTest {

  private static final String PY = "<code_interpreter type=\"code\" lang=\"python\">";
  private static final String END = "</code_interpreter>";
  private static final Map<String, String> CODE_PY = Map.of("type", "code", "lang", "python");
  private static final List<List<String>> REASONING = List.of(
      List.of("<think>", "</think>"), List.of("<thinking>", "</thinking>"),
      List.of("<reason>", "</reason>"), List.of("<reasoning>", "</reasoning>"),
      List.of("<thought>", "</thought>"), List.of("<Thought>", "</Thought>"),
      List.of("<|begin_of_thought|>", "<|end_of_thought|>"), List.of("◁think▷", "◁/think▷"));

  /**
   * A model reply and what the parser must make of it.
   *
   * @param text all visible text, concatenated
   * @param started the attributes of CodeStarted, if one is expected
   * @param finished the CodeFinished expected, if any
   */
  record Sample(String name, String reply, String text, Optional<Map<String, String>> started,
      Optional<CodeFinished> finished) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Sample ran(String name, String reply, String text, Map<String, String> attributes,
      String code) {
    return new Sample(name, reply, text, Optional.of(attributes),
        Optional.of(new CodeFinished(attributes, code)));
  }

  private static Sample textOnly(String name, String reply) {
    return new Sample(name, reply, reply, Optional.empty(), Optional.empty());
  }

  static Stream<Sample> samples() {
    String thinkReply = "<think>I could write <code_interpreter type=\"code\">print(0)"
        + "</code_interpreter> here.</think>Sure, computing.\n" + PY + "print(1)" + END;
    return Stream.of(
        ran("text then tag",
            "Let me compute that.\n" + PY + "\nprint(sum(range(10)))\n" + END,
            "Let me compute that.\n", CODE_PY, "print(sum(range(10)))"),
        ran("attributes in the other order, spaced",
            "Sure.<code_interpreter  lang = \"python\"\ttype=\"code\" >\nx = 6 * 7\nprint(x)\n" + END,
            "Sure.", CODE_PY, "x = 6 * 7\nprint(x)"),
        ran("newline after the tag name",
            "<code_interpreter\ntype=\"code\">print(2)" + END, "", Map.of("type", "code"), "print(2)"),
        ran("think block holding a tag before the real tag",
            thinkReply, thinkReply.substring(0, thinkReply.indexOf(PY)), CODE_PY, "print(1)"),
        ran("thinking block split around a close-tag prefix",
            "<thinking>a </thin b <code_interpreter>x</code_interpreter></thinking>Ok "
                + "<code_interpreter>print(2)" + END,
            "<thinking>a </thin b <code_interpreter>x</code_interpreter></thinking>Ok ",
            Map.of(), "print(2)"),
        ran("reasoning block",
            "<reasoning>plan: <code_interpreter type=\"code\">1</code_interpreter></reasoning>"
                + PY + "print(3)" + END,
            "<reasoning>plan: <code_interpreter type=\"code\">1</code_interpreter></reasoning>",
            CODE_PY, "print(3)"),
        ran("begin_of_thought block",
            "<|begin_of_thought|><code_interpreter>1</code_interpreter><|end_of_thought|>"
                + "<code_interpreter>print(4)" + END,
            "<|begin_of_thought|><code_interpreter>1</code_interpreter><|end_of_thought|>",
            Map.of(), "print(4)"),
        ran("Kimi-style think block",
            "◁think▷◁ <code_interpreter>1</code_interpreter>◁/think▷◁◁/"
                + "<code_interpreter>print(6)" + END,
            "◁think▷◁ <code_interpreter>1</code_interpreter>◁/think▷◁◁/",
            Map.of(), "print(6)"),
        ran("ANSI-coloured code",
            "Running:\n" + PY + "\n\u001b[31mimport math\u001b[0m\n"
                + "print(\u001b[1;32mmath.pi\u001b[m)\u001b]0;title\u0007\n" + END,
            "Running:\n", CODE_PY, "import math\nprint(math.pi)"),
        ran("fenced code inside the tag",
            PY + "\n```python\nfor i in range(3):\n    print(i)\n```\n" + END,
            "", CODE_PY, "for i in range(3):\n    print(i)"),
        ran("fence closing on the last code line",
            PY + "```py\nprint('a')```" + END, "", CODE_PY, "print('a')"),
        ran("indented block with blank lines around",
            PY + "\n\n    def f(x):\n        return x * 2\n\n    print(f(21))\n\n" + END,
            "", CODE_PY, "def f(x):\n    return x * 2\n\nprint(f(21))"),
        ran("only a tag", "<code_interpreter>print('hi')" + END, "", Map.of(), "print('hi')"),
        ran("less-than signs and html before the tag, and in the code",
            "If a < b then <div>x</div> <co<b>bold</b> <\n" + PY + "print(1 < 2 > 0)" + END,
            "If a < b then <div>x</div> <co<b>bold</b> <\n", CODE_PY, "print(1 < 2 > 0)"),
        ran("tag-name prefixes that are not the tag; text after the end tag is ignored",
            "<code_interpreted> is not ours, nor <code_interpreter_output>. " + PY
                + "x = 1\nprint(x)" + END + "This was not supposed to be here.",
            "<code_interpreted> is not ours, nor <code_interpreter_output>. ", CODE_PY,
            "x = 1\nprint(x)"),
        ran("a file block, not code",
            "Saved.<code_interpreter type=\"file\" name=\"a.txt\">hello" + END,
            "Saved.", Map.of("type", "file", "name", "a.txt"), "hello"),
        ran("a less-than sign inside the start tag means it was no tag",
            "Use <code_interpreter <b>tags</b>. " + PY + "print(5)" + END,
            "Use <code_interpreter <b>tags</b>. ", CODE_PY, "print(5)"),
        textOnly("no tag at all",
            "Plain answer: 2 < 3, <div>html</div>, <b>bold</b>, <think without closing, </think>."),
        textOnly("a lone less-than sign at the end", "x <"),
        textOnly("a tag prefix at the end", "see <code_interp"),
        textOnly("unclosed think block hides the tag",
            "<think>maybe <code_interpreter>print(1)</code_interpreter> later"),
        textOnly("start tag never closed", "The tag <code_interpreter type=\"code\" lang=\"py"),
        new Sample("unclosed code tag",
            "Here:\n" + PY + "\nprint(1)\n</code_inter",
            "Here:\n" + PY + "\nprint(1)\n</code_inter", Optional.of(CODE_PY), Optional.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void inOneChunk(Sample sample) {
    assertThat(run(List.of(sample.reply()))).isEqualTo(expected(sample));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everySplitInTwoAndCharacterByCharacter(Sample sample) {
    String s = sample.reply();
    Outcome expected = expected(sample);
    for (int i = 0; i <= s.length(); i++) {
      assertThat(run(List.of(s.substring(0, i), s.substring(i))))
          .as("split at %d", i).isEqualTo(expected);
    }
    assertThat(run(s.chars().mapToObj(c -> String.valueOf((char) c)).toList())).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everySplitInThree(Sample sample) {
    String s = sample.reply();
    assertThat(s.length()).isLessThanOrEqualTo(200);
    Outcome expected = expected(sample);
    for (int i = 0; i <= s.length(); i++) {
      for (int j = i; j <= s.length(); j++) {
        Outcome actual = run(List.of(s.substring(0, i), s.substring(i, j), s.substring(j)));
        if (!actual.equals(expected)) {
          assertThat(actual).as("split at %d and %d", i, j).isEqualTo(expected);
        }
      }
    }
  }

  /** After any prefix of the reply, all that is held back could still begin a tag. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void holdsBackOnlyWhatCouldStillBeATag(Sample sample) {
    String s = sample.reply();
    CodeTagParser parser = new CodeTagParser();
    StringBuilder out = new StringBuilder();
    for (int i = 1; i <= s.length() && !parser.done(); i++) {
      List<Event> events = parser.feed(s.substring(i - 1, i));
      if (events.stream().anyMatch(e -> !(e instanceof Text))) {
        break;
      }
      events.forEach(e -> out.append(((Text) e).text()));
      String seen = s.substring(0, i);
      assertThat(seen).startsWith(out);
      String held = seen.substring(out.length());
      String released = out.toString();
      Optional<String> reasoningEnd = REASONING.stream()
          .filter(t -> released.lastIndexOf(t.getFirst()) > released.lastIndexOf(t.getLast()))
          .map(List::getLast).findFirst();
      assertThat(couldBeginTag(held, reasoningEnd)).as("held back %s after %s", held, seen).isTrue();
    }
  }

  private static boolean couldBeginTag(String held, Optional<String> reasoningEnd) {
    if (held.isEmpty()) {
      return true;
    }
    if (reasoningEnd.isPresent()) {
      return reasoningEnd.get().startsWith(held);
    }
    return Stream.concat(Stream.of("<code_interpreter"), REASONING.stream().map(List::getFirst))
        .anyMatch(t -> t.startsWith(held))
        || held.matches("(?s)<code_interpreter\\s[^<>]*");
  }

  @Test
  void textBeforeATagIsReleasedAtOnce() {
    CodeTagParser parser = new CodeTagParser();

    assertThat(parser.feed("Hello <co")).containsExactly(new Text("Hello "));
    assertThat(parser.feed("de_interp")).isEmpty();
    assertThat(parser.feed("reted, fine")).containsExactly(new Text("<code_interpreted, fine"));
    assertThat(parser.feed(" a < b")).containsExactly(new Text(" a < b"));
  }

  @Test
  void codeStartedComesWithTheStartTagBeforeAnyCode() {
    CodeTagParser parser = new CodeTagParser();

    assertThat(parser.feed("Plotting.\n<code_interpreter type=\"code\"")).containsExactly(new Text("Plotting.\n"));
    assertThat(parser.feed(">\nimport matplotlib")).containsExactly(new CodeStarted(Map.of("type", "code")));
    assertThat(parser.feed("\nprint(1)\n</code_")).isEmpty();
    assertThat(parser.done()).isFalse();
    List<Event> last = parser.feed("interpreter> and more");
    assertThat(last).containsExactly(new CodeFinished(Map.of("type", "code"), "import matplotlib\nprint(1)"));
    assertThat(((CodeFinished) last.getFirst()).runnable()).isTrue();
    assertThat(parser.done()).isTrue();
    assertThat(parser.feed("more text")).isEmpty();
    assertThat(parser.finish()).isEmpty();
  }

  @Test
  void anUnclosedBlockComesBackAsTextAtTheEnd() {
    CodeTagParser parser = new CodeTagParser();

    assertThat(parser.feed("A <code_interpreter>print(1)")).containsExactly(
        new Text("A "), new CodeStarted(Map.of()));
    assertThat(parser.finish()).containsExactly(new Text("<code_interpreter>print(1)"));
    assertThat(parser.done()).isTrue();
    assertThat(parser.feed("</code_interpreter>")).isEmpty();
  }

  @Test
  void onlyCodeTypedBlocksAreRunnable() {
    assertThat(new CodeFinished(Map.of(), "x").runnable()).isTrue();
    assertThat(new CodeFinished(Map.of("type", "code"), "x").runnable()).isTrue();
    assertThat(new CodeFinished(Map.of("type", "file"), "x").runnable()).isFalse();
  }

  @Test
  void aVeryLongStartTagIsText() {
    String reply = "<code_interpreter " + "x".repeat(CodeTagParser.MAX_START_TAG) + ">code" + END;
    assertThat(run(List.of(reply))).isEqualTo(new Outcome(reply, List.of(), List.of()));
  }

  /**
   * What a run produced.
   *
   * @param text the concatenated text
   * @param codeEvents the other events, in order
   * @param problems broken rules of the event order, expected none
   */
  record Outcome(String text, List<Event> codeEvents, List<String> problems) {}

  private static Outcome expected(Sample sample) {
    List<Event> events = new ArrayList<>();
    sample.started().ifPresent(a -> events.add(new CodeStarted(a)));
    sample.finished().ifPresent(events::add);
    return new Outcome(sample.text(), events, List.of());
  }

  /** Feeds the chunks, then finishes; notes what breaks the order of events on the way. */
  private static Outcome run(List<String> chunks) {
    CodeTagParser parser = new CodeTagParser();
    List<Event> events = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (String chunk : chunks) {
      boolean wasDone = parser.done();
      List<Event> fed = parser.feed(chunk);
      if (wasDone && !fed.isEmpty()) {
        problems.add("events after done: " + fed);
      }
      events.addAll(fed);
    }
    boolean finished = events.stream().anyMatch(e -> e instanceof CodeFinished);
    if (finished != parser.done()) {
      problems.add("done() is " + parser.done() + " before finish()");
    }
    events.addAll(parser.finish());
    if (!parser.done()) {
      problems.add("not done after finish()");
    }

    StringBuilder text = new StringBuilder();
    List<Event> code = new ArrayList<>();
    for (Event event : events) {
      switch (event) {
        case Text t -> {
          if (!code.isEmpty() && code.getLast() instanceof CodeFinished) {
            problems.add("text after CodeFinished: " + t);
          }
          text.append(t.text());
        }
        case CodeStarted s -> {
          if (!code.isEmpty()) {
            problems.add("CodeStarted not first: " + code);
          }
          code.add(s);
        }
        case CodeFinished f -> {
          if (!code.equals(List.of(new CodeStarted(f.attributes())))) {
            problems.add("CodeFinished without its CodeStarted before it: " + code);
          }
          code.add(f);
        }
      }
    }
    return new Outcome(text.toString(), code, problems);
  }
}
