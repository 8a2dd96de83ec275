package dev.sandcastle.interpreter.xml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the first {@code <code_interpreter …>…</code_interpreter>} block in a model's streamed
 * reply (Open WebUI's XML code-interpreter mode), fed chunk by chunk as the reply arrives.
 *
 * <p>Each {@link #feed} returns what can be decided with the text seen so far: visible {@link
 * Event.Text} to pass on to the client now, {@link Event.CodeStarted} once the start tag is
 * complete, and {@link Event.CodeFinished} once the end tag arrives. After {@code CodeFinished} the
 * parser is {@linkplain #done() done}: the caller cuts the model's stream there, runs the code
 * (when {@link Event.CodeFinished#runnable()}), and calls the model again; later input, including
 * the rest of the chunk that held the end tag, is ignored. At the end of the stream the caller
 * calls {@link #finish()}, which releases whatever was held back.
 *
 * <p>Recognised: a start tag {@code <code_interpreter} followed by {@code >}, or by whitespace,
 * attributes and {@code >} (the first {@code >} ends it; a {@code <} before it, or a start tag
 * longer than {@value #MAX_START_TAG} characters, means it was not a tag after all); attributes
 * {@code name="value"} (other forms are ignored, a repeated name keeps its last value); the end tag
 * {@code </code_interpreter>}. A tag inside a reasoning block is not one: the whole block, from {@code
 * <think>} to {@code </think>}, is passed on as text. Reasoning tags are Open WebUI's: {@code
 * <think>}, {@code <thinking>}, {@code <reason>}, {@code <reasoning>}, {@code <thought>}, {@code
 * <Thought>}, {@code <|begin_of_thought|>} (closed by {@code <|end_of_thought|>}) and {@code
 * ◁think▷} (closed by {@code ◁/think▷}); an unclosed block lasts to the end.
 * The result does not depend on how the reply was split into chunks.
 *
 * <p>Latency: text goes out as soon as it cannot be part of a tag. Only the shortest suffix that
 * could still begin a tag (such as {@code "<co"}, or {@code "</thi"} inside a reasoning block) is
 * held back, and a start tag while its attributes arrive.
 *
 * <p>The code is cleaned before it is reported: ANSI escape sequences removed, a leading fence line
 * (three or more backticks, optionally a language) and a trailing fence removed, blank lines around
 * the code dropped, and indentation common to every line removed (relative indentation is kept).
 *
 * <p>At {@link #finish()}: held-back text comes out as text; a start tag without its end tag comes
 * out as text too (the raw start tag and code), and is not to be run; a {@code CodeStarted} may
 * thus be followed by {@code Text} instead of {@code CodeFinished}.
 *
 * <p>Threads: not thread-safe; one parser serves one streamed reply, fed by one thread at a time.
 * Nothing here fails on odd input: anything that is not a well-formed tag is text.
 */
public final class CodeTagParser {

  /** The longest start tag recognised, {@code <} and {@code >} included. */
  public static final int MAX_START_TAG = 256;

  private static final String START = "<code_interpreter";
  private static final String END = "</code_interpreter>";
  /** Reasoning blocks as Open WebUI knows them: open and close tags. */
  private static final List<List<String>> REASONING = List.of(
      List.of("<think>", "</think>"),
      List.of("<thinking>", "</thinking>"),
      List.of("<reason>", "</reason>"),
      List.of("<reasoning>", "</reasoning>"),
      List.of("<thought>", "</thought>"),
      List.of("<Thought>", "</Thought>"),
      List.of("<|begin_of_thought|>", "<|end_of_thought|>"),
      List.of("\u25C1think\u25B7", "\u25C1/think\u25B7"));
  private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)\\s*=\\s*\"([^\"]*)\"");

  /** What the parser found; see {@link CodeTagParser}. */
  public sealed interface Event {

    /**
     * Visible text of the reply, to pass on to the client as it is.
     *
     * @param text never empty
     */
    record Text(String text) implements Event {
      public Text {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
          throw new IllegalArgumentException("a Text event is never empty");
        }
      }
    }

    /**
     * The start tag is complete; its code is still arriving.
     *
     * @param attributes the tag's attributes, such as {@code type} and {@code lang}; maybe empty
     */
    record CodeStarted(Map<String, String> attributes) implements Event {
      public CodeStarted {
        attributes = Map.copyOf(attributes);
      }
    }

    /**
     * The end tag arrived: the block is complete.
     *
     * @param attributes the start tag's attributes, such as {@code type} and {@code lang}
     * @param code the code between the tags, cleaned (see {@link CodeTagParser}); may be empty
     */
    record CodeFinished(Map<String, String> attributes, String code) implements Event {
      public CodeFinished {
        attributes = Map.copyOf(attributes);
        Objects.requireNonNull(code, "code");
      }

      /** Whether the block is code to run: its {@code type} is {@code code}, or it has none. */
      public boolean runnable() {
        return "code".equals(attributes.getOrDefault("type", "code"));
      }
    }
  }

  private enum Mode { TEXT, REASONING, START_TAG, CODE, DONE }

  /** Input not yet released: held-back text, the start tag so far, or the code so far. */
  private final StringBuilder pending = new StringBuilder();
  private final StringBuilder released = new StringBuilder();
  private Mode mode = Mode.TEXT;
  private String reasoningEnd = "";
  private String startTag = "";
  private Map<String, String> attributes = Map.of();
  private int endSearchFrom;

  /** A parser at the start of a reply. */
  public CodeTagParser() {
  }

  /**
   * Takes the next chunk of the reply.
   *
   * @param chunk the chunk's text, maybe empty
   * @return the events it completes, in order: text first; empty once {@linkplain #done() done}
   */
  public List<Event> feed(String chunk) {
    Objects.requireNonNull(chunk, "chunk");
    if (mode == Mode.DONE) {
      return List.of();
    }
    List<Event> events = new ArrayList<>(2);
    pending.append(chunk);
    boolean progress = true;
    while (progress) {
      progress = switch (mode) {
        case TEXT -> scanText(events);
        case REASONING -> scanReasoning();
        case START_TAG -> scanStartTag(events);
        case CODE -> scanCode(events);
        case DONE -> false;
      };
    }
    flush(events);
    return events;
  }

  /**
   * Ends the reply: releases held-back text, and an unfinished code block as text (not to be run).
   * Afterwards the parser is {@linkplain #done() done}.
   *
   * @return the remaining events (only {@link Event.Text}); empty when nothing was held back or the
   *     parser was already done
   */
  public List<Event> finish() {
    if (mode == Mode.DONE) {
      return List.of();
    }
    if (mode == Mode.CODE) {
      released.append(startTag);
    }
    released.append(pending);
    pending.setLength(0);
    mode = Mode.DONE;
    List<Event> events = new ArrayList<>(1);
    flush(events);
    return events;
  }

  /**
   * Whether the parser takes no more input: a {@code CodeFinished} was returned, or {@link
   * #finish()} was called.
   */
  public boolean done() {
    return mode == Mode.DONE;
  }

  /** Looks for a tag in plain text; true when the mode changed and scanning must go on. */
  private boolean scanText(List<Event> events) {
    int from = 0;
    while (true) {
      int lt = from;
      while (lt < pending.length() && pending.charAt(lt) != '<' && pending.charAt(lt) != '\u25C1') {
        lt++;
      }
      if (lt == pending.length()) {
        release(lt);
        return false;
      }
      int rest = pending.length() - lt;
      if (rest <= START.length()) {
        if (regionEquals(lt, START, rest)) {
          release(lt); // could still become the start tag
          return false;
        }
      } else if (regionEquals(lt, START, START.length())) {
        char next = pending.charAt(lt + START.length());
        if (next == '>' || isSpace(next)) {
          release(lt);
          flush(events);
          mode = Mode.START_TAG;
          return true;
        }
      }
      for (List<String> tags : REASONING) {
        String open = tags.getFirst();
        if (rest < open.length()) {
          if (regionEquals(lt, open, rest)) {
            release(lt);
            return false;
          }
        } else if (regionEquals(lt, open, open.length())) {
          release(lt + open.length());
          reasoningEnd = tags.getLast();
          mode = Mode.REASONING;
          return true;
        }
      }
      from = lt + 1;
    }
  }

  /** Passes a reasoning block through, watching for its end tag only. */
  private boolean scanReasoning() {
    int end = pending.indexOf(reasoningEnd);
    if (end >= 0) {
      release(end + reasoningEnd.length());
      mode = Mode.TEXT;
      return true;
    }
    int from = Math.max(0, pending.length() - reasoningEnd.length() + 1);
    for (int at = from; at < pending.length(); at++) {
      if (regionEquals(at, reasoningEnd, pending.length() - at)) {
        release(at); // could still become the end tag
        return false;
      }
    }
    release(pending.length());
    return false;
  }

  /** Reads the start tag (pending begins with it); decides whether it is one. */
  private boolean scanStartTag(List<Event> events) {
    int limit = Math.min(pending.length(), MAX_START_TAG);
    for (int i = START.length(); i < limit; i++) {
      char c = pending.charAt(i);
      if (c == '>') {
        startTag = pending.substring(0, i + 1);
        attributes = parseAttributes(pending.substring(START.length(), i));
        pending.delete(0, i + 1);
        events.add(new Event.CodeStarted(attributes));
        mode = Mode.CODE;
        endSearchFrom = 0;
        return true;
      }
      if (c == '<') {
        return notATag();
      }
    }
    if (pending.length() >= MAX_START_TAG) {
      return notATag();
    }
    return false;
  }

  /** The {@code <} that looked like a start tag is text; scan again after it. */
  private boolean notATag() {
    release(1);
    mode = Mode.TEXT;
    return true;
  }

  /** Collects code until the end tag. */
  private boolean scanCode(List<Event> events) {
    int end = pending.indexOf(END, endSearchFrom);
    if (end < 0) {
      endSearchFrom = Math.max(0, pending.length() - END.length() + 1);
      return false;
    }
    String code = CodeCleaner.clean(pending.substring(0, end));
    pending.setLength(0);
    events.add(new Event.CodeFinished(attributes, code));
    mode = Mode.DONE;
    return false;
  }

  /** Moves the first {@code count} pending characters to the released text. */
  private void release(int count) {
    released.append(pending, 0, count);
    pending.delete(0, count);
  }

  private void flush(List<Event> events) {
    if (!released.isEmpty()) {
      events.add(new Event.Text(released.toString()));
      released.setLength(0);
    }
  }

  /** Whether pending, from {@code at}, holds the first {@code length} characters of {@code s}. */
  private boolean regionEquals(int at, String s, int length) {
    for (int i = 0; i < length; i++) {
      if (pending.charAt(at + i) != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
  }

  private static Map<String, String> parseAttributes(String inside) {
    Map<String, String> parsed = new LinkedHashMap<>();
    Matcher m = ATTRIBUTE.matcher(inside);
    while (m.find()) {
      parsed.put(m.group(1), m.group(2));
    }
    return parsed;
  }
}
