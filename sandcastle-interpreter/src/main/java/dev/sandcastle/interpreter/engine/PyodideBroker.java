package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Connects the {@link PyodideEngine} to the users' open browser pages, where Pyodide runs the
 * code. Transport-neutral: the web layer registers each page that offers the engine (over its
 * WebSocket, say) with {@link #register}, passes every text message from the page to {@link
 * Registration#received}, and calls {@link Registration#close} when the page goes.
 *
 * <h2>Message protocol</h2>
 *
 * <p>All messages are JSON objects in text frames. Unknown message types and unknown fields are
 * ignored in both directions.
 *
 * <p>Server to page:
 *
 * <ul>
 *   <li>{@code {"type":"execute","id":"<uuid>","chat_id":"<chat id>","code":"<python>","timeout_ms":<n>}}:
 *       run the code (in the chat's interpreter, so state persists between the turns of a chat)
 *       and stop it after {@code timeout_ms} milliseconds. Several runs may be in flight for one
 *       page (different chats); the page may run them one after the other.
 *   <li>{@code {"type":"cancel","id":"<uuid>"}}: the server stopped waiting for this run (it timed
 *       out on the server's side, or the request was cancelled); stop it if it still runs. No
 *       answer is expected.
 * </ul>
 *
 * <p>Page to server:
 *
 * <ul>
 *   <li>{@code {"type":"output","id":"<uuid>","output":<output>}} (optional, any number): one
 *       output as soon as it is produced, shown live in the chat.
 *   <li>{@code {"type":"result","id":"<uuid>","status":"ok"|"error"|"timeout","outputs":[<output>…]}}:
 *       the end of the run, with the outputs not already sent as {@code output} messages (a page
 *       that streams sends {@code "outputs":[]}). The run's outputs are those of its {@code output}
 *       messages followed by these.
 * </ul>
 *
 * <p>An {@code <output>} is one of
 *
 * <ul>
 *   <li>{@code {"type":"stream","name":"stdout"|"stderr","text":"…"}}
 *   <li>{@code {"type":"display","data":{"<mime type>":<value>,…}}}: e.g. {@code image/png} as
 *       base64 text, {@code text/html}, {@code image/svg+xml}, {@code application/json} as a JSON
 *       value
 *   <li>{@code {"type":"result","data":{…}}}: the value of the last expression
 *   <li>{@code {"type":"error","name":"ZeroDivisionError","value":"division by zero","traceback":["…",…]}}
 * </ul>
 *
 * <p>(Jupyter's spellings are accepted too: {@code output_type} {@code display_data} / {@code
 * execute_result}, {@code ename} / {@code evalue}; an {@code output} message may carry the output's
 * fields inline with an {@code output_type} instead of an {@code output} object.)
 *
 * <p>A reply whose id is unknown, already answered, or belongs to a run sent to another page (of
 * this user or another) is ignored. A run whose page closes before answering fails with {@link
 * Unavailable}. A run without an answer within {@code timeout_ms} plus a grace period ends with
 * status {@code timeout}; the page is sent a {@code cancel}.
 *
 * <p>Threads: all methods are safe from any thread. {@code send} callbacks are called on the
 * thread of the run (the engine's caller), possibly by several at once for one page, so they must
 * be thread-safe and should not block long. {@link Registration#received} only hands messages
 * over: it never blocks and never throws for what the page sends.
 *
 * <p>Bounds: at most {@link #DEFAULT_MAX_PENDING_PER_USER} (configurable) runs wait for a user's
 * pages at once; at most {@value #MAX_PAGES_PER_USER} pages per user are remembered (registering
 * one more forgets the oldest, as if it had closed).
 */
public final class PyodideBroker {
  /** How long after a run's own timeout the server still waits for the page's answer, by default. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  /** How many runs may wait for one user's pages at once, by default. */
  public static final int DEFAULT_MAX_PENDING_PER_USER = 4;
  /** How many open pages are remembered per user. */
  public static final int MAX_PAGES_PER_USER = 16;

  static final String NO_PAGE =
      "no browser page with the Pyodide engine is open for this user; open the chat in a browser";
  private static final System.Logger LOG = System.getLogger(PyodideBroker.class.getName());

  private final Duration grace;
  private final int maxPendingPerUser;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Deque<Registration>> pages = new HashMap<>(); // guarded by lock
  private final Map<String, Pending> pending = new HashMap<>(); // guarded by lock
  private final Map<String, Integer> pendingPerUser = new HashMap<>(); // guarded by lock

  /** With the default grace period and bound of waiting runs. */
  public PyodideBroker() {
    this(DEFAULT_GRACE, DEFAULT_MAX_PENDING_PER_USER);
  }

  /**
   * @param grace how long after a run's own timeout the server still waits for the page's answer
   * @param maxPendingPerUser how many runs may wait for one user's pages at once
   */
  public PyodideBroker(Duration grace, int maxPendingPerUser) {
    Objects.requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("the grace period must not be negative");
    }
    if (maxPendingPerUser < 1) {
      throw new IllegalArgumentException("at least one run per user must be allowed");
    }
    this.grace = grace;
    this.maxPendingPerUser = maxPendingPerUser;
  }

  /**
   * Registers an open page of a user that can run code; it becomes the page this user's runs go
   * to, until a newer page registers or it closes.
   *
   * @param send sends one text frame to the page; see the class comment for its threads. If it
   *     throws, the run that called it fails with {@link Unavailable}.
   */
  public Registration register(String userId, Consumer<String> send) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(send, "send");
    if (userId.isBlank()) {
      throw new IllegalArgumentException("userId must not be blank");
    }
    Registration registration = new Registration(userId, send);
    Registration forgotten = null;
    lock.lock();
    try {
      Deque<Registration> userPages = pages.computeIfAbsent(userId, user -> new ArrayDeque<>());
      if (userPages.size() >= MAX_PAGES_PER_USER) {
        forgotten = userPages.peekFirst();
      }
      userPages.addLast(registration);
    } finally {
      lock.unlock();
    }
    if (forgotten != null) {
      forgotten.close();
    }
    return registration;
  }

  /** Whether the user has a page open that can run code. */
  public boolean hasPage(String userId) {
    lock.lock();
    try {
      Deque<Registration> userPages = pages.get(userId);
      return userPages != null && !userPages.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** Runs code on the user's most recently registered page; see {@link Engine#run}. */
  CodeRun run(String userId, String chatId, String code, Duration timeout, Consumer<CodeOutput> live)
      throws InterruptedException {
    Pending run = start(userId);
    RunOutputs outputs = new RunOutputs(live);
    boolean answered = false;
    boolean failed = false;
    try {
      ObjectNode execute = Json.MAPPER.createObjectNode()
          .put("type", "execute")
          .put("id", run.id)
          .put("chat_id", chatId)
          .put("code", code)
          .put("timeout_ms", Math.max(1, timeout.toMillis()));
      run.page.deliver(Json.MAPPER.writeValueAsString(execute));
      long deadline = System.nanoTime() + saturatedNanos(timeout.plus(grace));
      while (true) {
        long left = deadline - System.nanoTime();
        Event event = left > 0 ? run.events.poll(left, TimeUnit.NANOSECONDS) : null;
        switch (event) {
          case null -> {
            outputs.emit(new CodeOutput.Error("TimeoutError", "the browser did not finish the code within "
                + seconds(timeout) + " (and a grace of " + seconds(grace) + "); it was asked to stop it", List.of()));
            return outputs.finish(CodeRun.Status.TIMEOUT);
          }
          case Event.Output(CodeOutput output) -> {
            failed |= output instanceof CodeOutput.Error;
            outputs.emit(output);
          }
          case Event.Finished(CodeRun.Status status, List<CodeOutput> last) -> {
            answered = true;
            for (CodeOutput output : last) {
              failed |= output instanceof CodeOutput.Error;
              outputs.emit(output);
            }
            if (status != CodeRun.Status.OK && !failed) { // say why, so that stderr is never silent
              outputs.emit(status == CodeRun.Status.TIMEOUT
                  ? new CodeOutput.Error("TimeoutError", "the code ran longer than " + seconds(timeout)
                      + " and was stopped by the browser", List.of())
                  : new CodeOutput.Error("Error", "the browser reported an error without details", List.of()));
            }
            return outputs.finish(status);
          }
          case Event.Gone(String reason) -> {
            answered = true;
            throw new Unavailable(reason);
          }
        }
      }
    } finally {
      finish(run);
      if (!answered) { // timed out, interrupted, or live threw: the page may stop the code
        run.page.cancel(run.id);
      }
    }
  }

  private Pending start(String userId) {
    lock.lock();
    try {
      Deque<Registration> userPages = pages.get(userId);
      Registration page = userPages == null ? null : userPages.peekLast();
      if (page == null) {
        throw new Unavailable(NO_PAGE);
      }
      int waiting = pendingPerUser.getOrDefault(userId, 0);
      if (waiting >= maxPendingPerUser) {
        throw new QuotaExceeded("at most " + maxPendingPerUser
            + " code runs may wait for the browser at once; wait for one to finish");
      }
      Pending run = new Pending(UUID.randomUUID().toString(), userId, page);
      pending.put(run.id, run);
      pendingPerUser.put(userId, waiting + 1);
      return run;
    } finally {
      lock.unlock();
    }
  }

  private void finish(Pending run) {
    lock.lock();
    try {
      if (pending.remove(run.id, run)) {
        pendingPerUser.computeIfPresent(run.userId, (user, count) -> count <= 1 ? null : count - 1);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The run with this id, if it was sent to this page and still waits. */
  private Optional<Pending> waiting(String id, Registration page) {
    lock.lock();
    try {
      Pending run = pending.get(id);
      return run != null && run.page == page ? Optional.of(run) : Optional.empty();
    } finally {
      lock.unlock();
    }
  }

  private void closed(Registration page) {
    List<Pending> orphans = new ArrayList<>();
    lock.lock();
    try {
      Deque<Registration> userPages = pages.get(page.userId);
      if (userPages != null) {
        userPages.remove(page);
        if (userPages.isEmpty()) {
          pages.remove(page.userId);
        }
      }
      for (Pending run : pending.values()) {
        if (run.page == page) {
          orphans.add(run);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Pending run : orphans) {
      run.events.add(new Event.Gone("the browser page running the code was closed before the code finished"));
    }
  }

  /**
   * One open page of a user, as registered with {@link PyodideBroker#register}. The transport
   * calls {@link #received} for each message from the page and {@link #close} when it goes.
   */
  public final class Registration implements AutoCloseable {
    private final String userId;
    private final Consumer<String> send;
    private volatile boolean closed;

    private Registration(String userId, Consumer<String> send) {
      this.userId = userId;
      this.send = send;
    }

    /** The user whose page this is. */
    public String userId() {
      return userId;
    }

    /**
     * A text message from the page. Replies to runs sent to this page are handed to them; anything
     * else (malformed JSON, unknown types or ids, replies to another page's runs, messages after
     * {@link #close}) is ignored. Never blocks; never throws for what the page sends.
     */
    public void received(String json) {
      if (closed || json == null) {
        return;
      }
      JsonNode message;
      try {
        message = Json.MAPPER.readTree(json);
      } catch (JacksonException e) {
        LOG.log(System.Logger.Level.DEBUG, "ignored a malformed message from a Pyodide page of user {0}", userId);
        return;
      }
      if (message == null || !message.isObject()) {
        return;
      }
      String type = message.path("type").asString("");
      if (!type.equals("output") && !type.equals("result")) {
        return;
      }
      Optional<Pending> run = waiting(message.path("id").asString(""), this);
      if (run.isEmpty()) {
        return;
      }
      if (type.equals("output")) {
        JsonNode output = message.path("output");
        Optional<CodeOutput> parsed = output.isObject()
            ? PyodideOutputs.parse(output, output.path("type").asString(output.path("output_type").asString("")))
            : PyodideOutputs.parse(message, message.path("output_type").asString(""));
        parsed.ifPresent(run.get()::output);
      } else {
        run.get().finished(CodeRun.Status.ofWireName(message.path("status").asString("")),
            PyodideOutputs.parseAll(message.path("outputs")));
      }
    }

    /** The page went away: runs waiting for it fail with {@link Unavailable}. Idempotent. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        closed(this);
      }
    }

    private void deliver(String message) {
      try {
        send.accept(message);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "could not send to a Pyodide page of user {0}: {1}", userId, e.toString());
        throw new Unavailable("the browser page could not be reached; reload the chat in the browser");
      }
    }

    private void cancel(String id) {
      if (closed) {
        return;
      }
      try {
        send.accept(Json.MAPPER.writeValueAsString(Json.MAPPER.createObjectNode().put("type", "cancel").put("id", id)));
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "could not cancel a run on a Pyodide page of user {0}: {1}", userId, e.toString());
      }
    }
  }

  /** A run waiting for its page. */
  private static final class Pending {
    final String id;
    final String userId;
    final Registration page;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private int outputs; // guarded by this
    private boolean done; // guarded by this

    Pending(String id, String userId, Registration page) {
      this.id = id;
      this.userId = userId;
      this.page = page;
    }

    synchronized void output(CodeOutput output) {
      if (!done && outputs < RunOutputs.COUNT_LIMIT + 1) { // one over the limit, so the run notes the truncation
        outputs++;
        events.add(new Event.Output(output));
      }
    }

    synchronized void finished(CodeRun.Status status, List<CodeOutput> last) {
      if (!done) {
        done = true;
        events.add(new Event.Finished(status, last.size() > RunOutputs.COUNT_LIMIT + 1
            ? last.subList(0, RunOutputs.COUNT_LIMIT + 1) : last));
      }
    }
  }

  private sealed interface Event {
    record Output(CodeOutput output) implements Event {}

    record Finished(CodeRun.Status status, List<CodeOutput> outputs) implements Event {}

    record Gone(String reason) implements Event {}
  }

  private static long saturatedNanos(Duration duration) {
    return duration.compareTo(Duration.ofDays(365)) > 0 ? Duration.ofDays(365).toNanos() : duration.toNanos();
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() / 1000.0 + " s";
  }
}
