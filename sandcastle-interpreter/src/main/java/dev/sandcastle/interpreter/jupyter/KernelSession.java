package dev.sandcastle.interpreter.jupyter;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * One WebSocket connection to one kernel's channels ({@code api/kernels/{id}/channels}) under a
 * random session id; runs code with {@link #execute}. Obtained from {@link
 * JupyterClient#openSession(String)}.
 *
 * <p>Threads: {@code execute} is blocking and may be called from any thread; runs on one session
 * take turns (a second caller waits, and the wait counts against its timeout), as the kernel runs
 * one cell at a time anyway. The WebSocket is read on the HTTP client's threads, which only
 * decode and hand messages over; output callbacks run on the thread that called {@code execute}.
 *
 * <p>Back-pressure: the session asks the WebSocket for one message at a time, and asks for the
 * next only after the previous one was handled (for a run's messages, after its callback
 * returned), so a slow consumer slows the server down instead of filling memory.
 *
 * <p>Once the WebSocket closes or fails (server gone, kernel shut down, {@link #close()}), every
 * waiting and later {@code execute} fails with {@link Unavailable}; open a new session to go on.
 */
public final class KernelSession implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(KernelSession.class.getName());
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(2);
  private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(2);
  private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

  private final JupyterClient client;
  private final String kernelId;
  private final String sessionId;
  private final ReentrantLock turn = new ReentrantLock(true);
  private final Object state = new Object();
  private Inbox pending; // guarded by state: the running execution's messages
  private String closedBecause; // guarded by state: null while open
  private volatile WebSocket socket;
  /** The kernel restarted (died, or someone restarted it): the next run waits until it answers. */
  private final AtomicBoolean restarted = new AtomicBoolean();

  private KernelSession(JupyterClient client, String kernelId, String sessionId) {
    this.client = client;
    this.kernelId = kernelId;
    this.sessionId = sessionId;
  }

  static KernelSession open(JupyterClient client, String kernelId) {
    KernelSession session = new KernelSession(client, kernelId, UUID.randomUUID().toString());
    session.socket = client.openSocket(kernelId, session.sessionId, session.new Receiver());
    return session;
  }

  /** The kernel this session talks to. */
  public String kernelId() {
    return kernelId;
  }

  /** The Jupyter session id of this connection (random). */
  public String sessionId() {
    return sessionId;
  }

  /** Like {@link #execute(String, Duration, Consumer)} without a callback. */
  public ExecutionResult execute(String code, Duration timeout) {
    return execute(code, timeout, output -> {});
  }

  /**
   * Runs {@code code} on the kernel (an {@code execute_request} on the shell channel, stored in
   * the kernel's history, stopping the queue on error) and waits until the kernel reports it idle
   * for this request and sent the reply.
   *
   * <p>{@code onOutput} receives each output as it arrives, in the kernel's order, on the calling
   * thread, before this method returns; the result lists the same outputs. If the callback
   * throws, the exception leaves this method as is (the code keeps running on the kernel).
   *
   * <p>The timeout is for the whole run, not per message, and includes waiting for another run on
   * this session. When it passes, the session interrupts the kernel (a {@code KeyboardInterrupt}
   * for Python), waits at most 2 s for the kernel to drop the run (so that the next run is not
   * aborted by it), and returns status {@code TIMEOUT} with the outputs received before the
   * deadline and a {@code TimeoutError}. If the kernel dies during the run, the status is {@code
   * ERROR} with a {@code DeadKernelError}; after a death or a restart, the next run first waits
   * (within its own timeout) until the new kernel process answers.
   *
   * @throws BadRequest the timeout is not positive
   * @throws Unavailable the WebSocket is closed, closes or fails during the run, or the calling
   *     thread was interrupted (its interrupt flag stays set; the kernel is interrupted too)
   */
  public ExecutionResult execute(String code, Duration timeout, Consumer<? super Output> onOutput) {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(onOutput, "onOutput");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new BadRequest("the timeout must be positive");
    }
    long budget = nanos(timeout);
    long deadline = System.nanoTime() + budget;
    try {
      if (!turn.tryLock(budget, TimeUnit.NANOSECONDS)) {
        Run run = new Run(onOutput);
        run.emit(new Output.Error("TimeoutError", "another run on this session took the whole "
            + seconds(timeout) + " time limit; the code was not started", List.of()));
        return run.result(ExecutionResult.Status.TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while waiting to run code on kernel " + kernelId);
    }
    try {
      return run(code, timeout, deadline, new Run(onOutput));
    } finally {
      turn.unlock();
    }
  }

  private ExecutionResult run(String code, Duration timeout, long deadline, Run run) {
    try {
      if (restarted.get()) {
        if (!awaitReady(deadline)) {
          if (client.kernel(kernelId).isEmpty()) {
            String reason = "the kernel no longer exists on the server";
            close(reason);
            throw lost(reason);
          }
          run.emit(new Output.Error("TimeoutError", "the kernel did not come back from its restart"
              + " within " + seconds(timeout) + "; the code was not started", List.of()));
          return run.result(ExecutionResult.Status.TIMEOUT);
        }
      }
      Inbox inbox = register();
      try {
        send(Wire.request("execute_request", inbox.msgId, sessionId, Wire.executeContent(code)), deadline);
        while (!run.finished()) {
          long left = deadline - System.nanoTime();
          Event event = left > 0 ? inbox.events.poll(left, TimeUnit.NANOSECONDS) : null;
          switch (event) {
            case null -> {
              if (!interruptQuietly()) {
                // Jupyter Server keeps the WebSocket of a deleted kernel open: silence, not a close.
                String reason = "the kernel no longer exists on the server";
                close(reason);
                throw lost(reason);
              }
              settle(inbox, run);
              run.emit(new Output.Error("TimeoutError", "the code ran longer than "
                  + seconds(timeout) + " and was interrupted", List.of()));
              return run.result(ExecutionResult.Status.TIMEOUT);
            }
            case Event.Closed closed -> throw lost(closed.reason());
            case Event.Message message -> {
              try {
                run.accept(message.node(), inbox.msgId);
              } finally {
                socket.request(1);
              }
            }
          }
        }
        return run.result();
      } finally {
        unregister(inbox);
      }
    } catch (InterruptedException e) {
      interruptQuietly(); // the flag is clear here, so this HTTP call can go through
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while running code on kernel " + kernelId);
    }
  }

  /**
   * After a restart the server reconnects its shell and iopub sockets to the new process, and
   * requests or outputs that cross the gap are lost. So, like jupyter_client's wait_for_ready
   * (and Jupyter Server 2's "nudge"), ask for the kernel's info every second until both its reply
   * (shell) and its status (iopub) come back, or the deadline passes.
   */
  private boolean awaitReady(long deadline) throws InterruptedException {
    while (deadline - System.nanoTime() > 0) {
      restarted.set(false);
      Inbox probe = register();
      try {
        send(Wire.request("kernel_info_request", probe.msgId, sessionId, Wire.JSON.createObjectNode()), deadline);
        boolean replied = false;
        boolean published = false;
        long until = Math.min(deadline, System.nanoTime() + PROBE_INTERVAL.toNanos());
        for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
          Event event = probe.events.poll(left, TimeUnit.NANOSECONDS);
          if (event instanceof Event.Closed closed) {
            throw lost(closed.reason());
          }
          if (event instanceof Event.Message message) {
            try {
              replied |= Wire.msgType(message.node()).equals("kernel_info_reply");
              published |= Wire.channel(message.node()).equals("iopub")
                  && probe.msgId.equals(Wire.parentMsgId(message.node()));
            } finally {
              socket.request(1);
            }
            if (replied && published) {
              return true;
            }
          }
        }
      } finally {
        unregister(probe);
      }
    }
    restarted.set(true);
    return false;
  }

  /** Called when the client restarted this session's kernel. */
  void kernelRestarted() {
    restarted.set(true);
  }

  /** Makes a fresh inbox the one the receiver fills. */
  private Inbox register() {
    Inbox inbox = new Inbox(UUID.randomUUID().toString());
    synchronized (state) {
      if (closedBecause != null) {
        throw lost(closedBecause);
      }
      pending = inbox;
    }
    return inbox;
  }

  /** Stops filling the inbox and asks for a next message for each one it held unread. */
  private void unregister(Inbox inbox) {
    List<Event> unread = new ArrayList<>();
    synchronized (state) {
      if (pending == inbox) {
        pending = null;
      }
      inbox.events.drainTo(unread);
    }
    for (Event event : unread) {
      if (event instanceof Event.Message) {
        socket.request(1);
      }
    }
  }

  /**
   * After an interrupt, waits a little for the interrupted run to end, dropping what it still
   * outputs (its KeyboardInterrupt). Otherwise the next run could reach the kernel while this one
   * is still failing, and a kernel that stops on errors would abort it.
   */
  private void settle(Inbox inbox, Run run) throws InterruptedException {
    run.mute();
    long deadline = System.nanoTime() + INTERRUPT_GRACE.toNanos();
    while (!run.finished()) {
      long left = deadline - System.nanoTime();
      Event event = left > 0 ? inbox.events.poll(left, TimeUnit.NANOSECONDS) : null;
      if (!(event instanceof Event.Message message)) {
        return; // still running (it ignores interrupts) or the connection is lost: the next run sees
      }
      try {
        run.accept(message.node(), inbox.msgId);
      } finally {
        socket.request(1);
      }
    }
  }

  private void send(String message, long deadline) throws InterruptedException {
    try {
      long left = Math.max(deadline - System.nanoTime(), TimeUnit.SECONDS.toNanos(1));
      socket.sendText(message, true).get(left, TimeUnit.NANOSECONDS);
    } catch (ExecutionException | IllegalStateException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw lost("could not send the code: " + describe(cause));
    } catch (TimeoutException e) {
      throw lost("could not send the code in time");
    }
  }

  /** Interrupts the kernel; false when the kernel no longer exists. */
  private boolean interruptQuietly() {
    try {
      client.interrupt(kernelId);
    } catch (NotFound e) {
      return false;
    } catch (SandcastleException e) {
      LOG.log(System.Logger.Level.WARNING, "could not interrupt kernel {0}: {1}", kernelId, e.getMessage());
    }
    return true;
  }

  /**
   * Closes the WebSocket (the kernel keeps running). A run waiting on another thread fails with
   * {@link Unavailable}. Idempotent.
   */
  @Override
  public void close() {
    close("the session was closed");
  }

  /** Closes the session; a waiting run and later ones fail with {@code reason}. */
  void close(String reason) {
    closed(reason);
    WebSocket current = socket;
    if (current != null && !current.isOutputClosed()) {
      try {
        current.sendClose(WebSocket.NORMAL_CLOSURE, "").get(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException | IllegalStateException e) {
        // the server is gone or slow: abort below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (current != null) {
      current.abort();
    }
    client.forget(this);
  }

  private void closed(String reason) {
    synchronized (state) {
      if (closedBecause == null) {
        closedBecause = reason;
      }
      if (pending != null) {
        pending.events.add(new Event.Closed(closedBecause));
      }
    }
  }

  private Unavailable lost(String reason) {
    return new Unavailable("the connection to kernel " + kernelId + " on the Jupyter server at "
        + client.baseUrl() + " is lost: " + reason);
  }

  private static String describe(Throwable error) {
    return error.getMessage() == null || error.getMessage().isBlank()
        ? error.getClass().getSimpleName() : error.getMessage();
  }

  private static long nanos(Duration duration) {
    return duration.compareTo(Duration.ofDays(365)) > 0 ? Duration.ofDays(365).toNanos() : duration.toNanos();
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() / 1000.0 + " s";
  }

  // ---- the reading side

  private sealed interface Event {
    record Message(JsonNode node) implements Event {}

    record Closed(String reason) implements Event {}
  }

  /** The messages for one run: replies to its request, and news of the kernel's death. */
  private record Inbox(String msgId, BlockingQueue<Event> events) {
    Inbox(String msgId) {
      this(msgId, new LinkedBlockingQueue<>());
    }

    boolean wants(JsonNode message) {
      if (msgId.equals(Wire.parentMsgId(message))) {
        return true;
      }
      String state = Wire.content(message).path("execution_state").asString("");
      return Wire.msgType(message).equals("status") && (state.equals("dead") || state.equals("restarting"));
    }
  }

  /**
   * The WebSocket listener. Runs on the HTTP client's threads, one call at a time; collects
   * fragments until the last one, then hands the message to the waiting run or, when no run
   * wants it, drops it and asks for the next.
   */
  private final class Receiver implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        text.trimToSize();
        route(webSocket, Wire.parseText(frame));
      } else {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      binary.writeBytes(chunk);
      if (last) {
        byte[] frame = binary.toByteArray();
        binary.reset();
        route(webSocket, Wire.parseBinary(frame));
      } else {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed("the server closed the WebSocket (code " + statusCode
          + (reason.isBlank() ? "" : ", " + reason) + ")");
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed("the WebSocket failed: " + describe(error));
    }

    private void route(WebSocket webSocket, Optional<JsonNode> message) {
      if (message.isPresent() && signalsRestart(message.get())) {
        restarted.set(true);
      }
      synchronized (state) {
        if (message.isPresent() && pending != null && pending.wants(message.get())) {
          pending.events.add(new Event.Message(message.get()));
          return; // the run asks for the next message once it handled this one
        }
      }
      webSocket.request(1);
    }
  }

  /** A status of a restarting or new kernel, or the broadcast reply to a restart. */
  private static boolean signalsRestart(JsonNode message) {
    return switch (Wire.msgType(message)) {
      case "status" -> switch (Wire.content(message).path("execution_state").asString("")) {
        case "restarting", "starting", "dead" -> true;
        default -> false;
      };
      case "shutdown_reply" -> Wire.content(message).path("restart").asBoolean(false);
      default -> false;
    };
  }

  /** One run's progress and outputs; used by the calling thread only. */
  private static final class Run {
    private final Consumer<? super Output> onOutput;
    private final List<Output> outputs = new ArrayList<>();
    private boolean idle;
    private boolean replied;
    private boolean died;
    private boolean failed;
    private int executionCount;
    private JsonNode reply;
    private boolean muted;

    Run(Consumer<? super Output> onOutput) {
      this.onOutput = onOutput;
    }

    void accept(JsonNode message, String msgId) {
      JsonNode content = Wire.content(message);
      boolean ours = msgId.equals(Wire.parentMsgId(message));
      switch (Wire.msgType(message)) {
        case "status" -> {
          String state = content.path("execution_state").asString("");
          if (ours && state.equals("idle")) {
            idle = true;
          } else if (state.equals("dead") || state.equals("restarting")) {
            died = true;
            fromKernel(new Output.Error("DeadKernelError", state.equals("dead")
                ? "the kernel died and could not be restarted"
                : "the kernel died while running the code; it restarts without its variables and imports",
                List.of()));
          }
        }
        case "execute_input" -> count(content);
        case "execute_reply" -> {
          replied = true;
          count(content);
          reply = content;
        }
        default -> {
          if (Wire.channel(message).equals("iopub") || Wire.channel(message).isEmpty()) {
            Wire.output(message).ifPresent(this::fromKernel);
          }
        }
      }
    }

    private void count(JsonNode content) {
      int count = content.path("execution_count").asInt(0);
      if (count > 0) {
        executionCount = count;
      }
    }

    /** From now on outputs of the kernel are dropped (a timed-out run's last words). */
    void mute() {
      muted = true;
    }

    private void fromKernel(Output output) {
      if (!muted) {
        emit(output);
      }
    }

    void emit(Output output) {
      if (output instanceof Output.Error) {
        failed = true;
      }
      outputs.add(output);
      onOutput.accept(output);
    }

    boolean finished() {
      return died || (idle && replied);
    }


    /**
     * The result of a finished run. The reply and iopub come on different channels, in either
     * order; a failed reply whose iopub {@code error} never came (an aborted run, or a kernel that
     * reports errors on the reply only) still ends the outputs with an error.
     */
    ExecutionResult result() {
      String status = reply == null ? "" : reply.path("status").asString("");
      if (!died && !failed && !status.equals("ok")) {
        emit(status.equals("aborted")
            ? new Output.Error("ExecutionAborted",
                "the kernel skipped this code because an earlier run failed", List.of())
            : Wire.error(reply));
      }
      return result(failed || died ? ExecutionResult.Status.ERROR : ExecutionResult.Status.OK);
    }

    ExecutionResult result(ExecutionResult.Status status) {
      return new ExecutionResult(status, executionCount, outputs);
    }
  }
}
