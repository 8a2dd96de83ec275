package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.interpreter.jupyter.ExecutionResult;
import dev.sandcastle.interpreter.jupyter.JupyterClient;
import dev.sandcastle.interpreter.jupyter.KernelSession;
import dev.sandcastle.interpreter.jupyter.Output;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Runs code on an external Jupyter Server through {@link JupyterClient}: one kernel per (user,
 * chat), started on the chat's first run and kept for its later turns (unlike upstream Open
 * WebUI, which starts and deletes a kernel for every run), with every MIME type of the outputs
 * kept and a wall-clock timeout for the whole run (when it passes, the kernel is interrupted and
 * the run ends with status {@code timeout} and what was produced until then; the kernel keeps its
 * state).
 *
 * <p>Kernels are shut down on the server when their chat had no run for {@link
 * JupyterSettings#idleTimeout()}, when a new chat needs room beyond {@link
 * JupyterSettings#maxKernelsPerUser()} (that user's kernel idle the longest goes) or {@link
 * JupyterSettings#maxKernels()} (the kernel idle the longest goes), and on {@link #close()}. A
 * chat whose kernel is gone gets a fresh one at its next run, whose stderr starts with a note
 * saying so.
 *
 * <p>The engine connects to the server at its first run (so a server that is down at start-up
 * only fails runs, with {@link Unavailable}), and again after a failed connection. When the
 * connection to a kernel is lost during a run, that run fails with {@link Unavailable} (the code
 * is not sent again: it may have run); the next run of the chat reconnects to the same kernel
 * when the server still has it.
 *
 * <p>Threads: {@code live} runs on the calling thread. Runs of one chat take turns: a second run
 * waits up to its timeout for the first, then fails with {@link Conflict}. A background virtual
 * thread shuts idle kernels down.
 */
public final class JupyterEngine implements Engine {
  /** This engine's configuration name. */
  public static final String NAME = "jupyter";

  private static final System.Logger LOG = System.getLogger(JupyterEngine.class.getName());
  private static final Duration MIN_REAP_PERIOD = Duration.ofMillis(100);
  private static final Duration MAX_REAP_PERIOD = Duration.ofSeconds(60);
  private static final int FORGOTTEN_LIMIT = 10_000;

  private final JupyterSettings settings;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<Key, Chat> chats = new HashMap<>(); // guarded by lock
  /** Chats whose kernel was shut down (idle, or to make room), so their next run says so; guarded by lock. */
  private final Map<Key, Boolean> forgotten = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
      return size() > FORGOTTEN_LIMIT;
    }
  };
  private boolean closed; // guarded by lock
  private final ReentrantLock connecting = new ReentrantLock();
  private volatile JupyterClient client;
  private final ScheduledExecutorService reaper;

  /** Connects to nothing yet: the server is first reached by the first run. */
  public JupyterEngine(JupyterSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("jupyter-engine-reaper").factory());
    long period = Math.clamp(settings.idleTimeout().toMillis() / 4, MIN_REAP_PERIOD.toMillis(), MAX_REAP_PERIOD.toMillis());
    reaper.scheduleWithFixedDelay(this::reapIdle, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@inheritDoc}
   *
   * @throws Unavailable the server cannot be reached or refuses the credentials, the connection to
   *     the kernel was lost during the run, or the engine is closed
   * @throws QuotaExceeded a new chat needs a kernel while the user's {@link
   *     JupyterSettings#maxKernelsPerUser()}, or all {@link JupyterSettings#maxKernels()}, kernels
   *     are running code
   * @throws Conflict another run of this chat is still going at the end of this run's timeout
   */
  @Override
  public CodeRun run(EngineContext context, String code, Duration timeout, Consumer<CodeOutput> live)
      throws InterruptedException {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(live, "live");
    WorkspaceEngine.requirePositive(timeout);
    Chat chat = acquire(new Key(context.userId(), context.chatId()));
    try {
      if (!chat.turn.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new Conflict("another run of this chat is still going; try again when it is done");
      }
      try {
        return runTurn(chat, code, timeout, new RunOutputs(live));
      } finally {
        chat.turn.unlock();
      }
    } finally {
      release(chat);
    }
  }

  private CodeRun runTurn(Chat chat, String code, Duration timeout, RunOutputs outputs) throws InterruptedException {
    if (chat.retired) {
      throw new Unavailable("the Jupyter engine is closed");
    }
    KernelSession session = session(chat, outputs);
    ExecutionResult result;
    try {
      result = session.execute(code, timeout, output -> outputs.emit(convert(output)));
    } catch (Unavailable e) {
      if (Thread.interrupted()) { // the session interrupted the kernel already
        throw new InterruptedException("interrupted while the code ran");
      }
      chat.session = null; // reconnect at the next run
      session.close();
      throw e;
    } catch (RuntimeException e) { // live threw: stop the code, then let the exception go on
      interruptQuietly(chat.kernelId);
      throw e;
    }
    return outputs.finish(CodeRun.Status.ofWireName(result.status().wireName()));
  }

  /** The chat's open session: reconnected to its kernel, or a fresh kernel when it is gone. */
  private KernelSession session(Chat chat, RunOutputs outputs) {
    KernelSession session = chat.session;
    if (session != null) {
      return session;
    }
    JupyterClient jupyter = client();
    boolean lost = false;
    if (chat.kernelId != null) {
      try {
        if (jupyter.kernel(chat.kernelId).isPresent()) {
          chat.session = jupyter.openSession(chat.kernelId);
          return chat.session;
        }
      } catch (NotFound e) {
        // gone between the two calls
      }
      chat.kernelId = null;
      lost = true;
    } else {
      lost = chat.lostKernel;
    }
    String kernelId = jupyter.startKernel(settings.kernelSpec());
    try {
      chat.session = jupyter.openSession(kernelId);
    } catch (RuntimeException e) {
      shutdownQuietly(jupyter, kernelId);
      throw e;
    }
    chat.kernelId = kernelId;
    chat.lostKernel = false;
    if (lost) {
      outputs.emit(new CodeOutput.Stream(CodeOutput.Stream.STDERR, "[the previous kernel of this chat is gone"
          + " (idle too long, or the Jupyter server restarted); this is a fresh kernel without the variables"
          + " and imports of earlier runs]\n"));
    }
    return chat.session;
  }

  private JupyterClient client() {
    JupyterClient current = client;
    if (current != null) {
      return current;
    }
    connecting.lock();
    try {
      if (client == null) {
        client = JupyterClient.connect(settings.url(), settings.auth());
      }
      return client;
    } finally {
      connecting.unlock();
    }
  }

  private Chat acquire(Key key) {
    List<Chat> evicted = new ArrayList<>();
    Chat chat;
    lock.lock();
    try {
      if (closed) {
        throw new Unavailable("the Jupyter engine is closed");
      }
      chat = chats.get(key);
      if (chat == null) {
        if (chats.keySet().stream().filter(k -> k.userId().equals(key.userId())).count() >= settings.maxKernelsPerUser()) {
          Chat oldest = idleLongest(c -> c.key.userId().equals(key.userId()))
              .orElseThrow(() -> new QuotaExceeded("you have " + settings.maxKernelsPerUser()
                  + " Jupyter kernels, the most one user may have, and all of them are running code; try again later"));
          retire(oldest);
          evicted.add(oldest);
        } else if (chats.size() >= settings.maxKernels()) {
          Chat oldest = idleLongest(c -> true)
              .orElseThrow(() -> new QuotaExceeded("the Jupyter engine keeps at most " + settings.maxKernels()
                  + " kernels and all of them are running code; try again later"));
          retire(oldest);
          evicted.add(oldest);
        }
        chat = new Chat(key);
        chat.lostKernel = forgotten.remove(key) != null;
        chats.put(key, chat);
      }
      chat.users++;
    } finally {
      lock.unlock();
    }
    evicted.forEach(this::stopLater);
    return chat;
  }

  /** The chat idle the longest among those running no code that match (the caller holds the lock). */
  private Optional<Chat> idleLongest(java.util.function.Predicate<Chat> which) {
    return chats.values().stream().filter(c -> c.users == 0).filter(which).min(Comparator.comparingLong(c -> c.lastUsed));
  }

  private void release(Chat chat) {
    lock.lock();
    try {
      chat.users--;
      chat.lastUsed = System.nanoTime();
    } finally {
      lock.unlock();
    }
  }

  /** Removes a chat from the map (the caller holds the lock); its kernel is stopped by the caller. */
  private void retire(Chat chat) {
    if (chats.remove(chat.key, chat) && chat.kernelId != null) {
      forgotten.put(chat.key, Boolean.TRUE);
    }
    chat.retired = true;
  }

  private void reapIdle() {
    List<Chat> idle = new ArrayList<>();
    long cutoff = System.nanoTime() - settings.idleTimeout().toNanos();
    lock.lock();
    try {
      for (Chat chat : List.copyOf(chats.values())) {
        if (chat.users == 0 && chat.lastUsed - cutoff < 0) {
          retire(chat);
          idle.add(chat);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Chat chat : idle) {
      LOG.log(System.Logger.Level.DEBUG, "shutting down the idle Jupyter kernel of a chat of user {0}", chat.key.userId());
      stop(chat);
    }
  }

  private void stopLater(Chat chat) {
    Thread.ofVirtual().name("jupyter-engine-stop").start(() -> stop(chat));
  }

  /** Closes the chat's session and shuts its kernel down on the server. */
  private void stop(Chat chat) {
    KernelSession session = chat.session;
    String kernelId = chat.kernelId;
    if (session != null) {
      session.close();
    }
    JupyterClient current = client;
    if (kernelId != null && current != null) {
      shutdownQuietly(current, kernelId);
    }
  }

  private void interruptQuietly(String kernelId) {
    JupyterClient current = client;
    if (kernelId != null && current != null) {
      try {
        current.interrupt(kernelId);
      } catch (SandcastleException e) {
        LOG.log(System.Logger.Level.DEBUG, "could not interrupt kernel {0}: {1}", kernelId, e.getMessage());
      }
    }
  }

  private static void shutdownQuietly(JupyterClient jupyter, String kernelId) {
    try {
      jupyter.shutdown(kernelId);
    } catch (SandcastleException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not shut down kernel {0}: {1}", kernelId, e.getMessage());
    }
  }

  /** The number of chats with a kernel (or about to get one), for tests. */
  int kernelCount() {
    lock.lock();
    try {
      return chats.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Shuts down every kernel this engine started (runs in progress fail with {@link Unavailable})
   * and disconnects. Later runs fail with {@link Unavailable}. Idempotent.
   */
  @Override
  public void close() {
    List<Chat> all;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      all = List.copyOf(chats.values());
      all.forEach(this::retire);
    } finally {
      lock.unlock();
    }
    reaper.shutdownNow();
    all.forEach(this::stop);
    connecting.lock();
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      connecting.unlock();
    }
  }

  /** The engine-neutral form of a Jupyter output. */
  static CodeOutput convert(Output output) {
    return switch (output) {
      case Output.Stream stream -> new CodeOutput.Stream(
          stream.name().equals(CodeOutput.Stream.STDERR) ? CodeOutput.Stream.STDERR : CodeOutput.Stream.STDOUT, stream.text());
      case Output.Result result -> new CodeOutput.Result(Json.textBundle(result.data()));
      case Output.Display display -> new CodeOutput.Display(Json.textBundle(display.data()));
      case Output.Error error -> new CodeOutput.Error(error.ename(), error.evalue(), error.traceback());
    };
  }

  private record Key(String userId, String chatId) {}

  /** One chat's kernel on the server. */
  private static final class Chat {
    final Key key;
    /** Serialises the chat's runs; held while the session and kernel id change. */
    final ReentrantLock turn = new ReentrantLock(true);
    volatile String kernelId;
    volatile KernelSession session;
    /** An earlier kernel of this chat is gone (for the note of the next run); guarded by turn. */
    boolean lostKernel;
    int users; // guarded by the engine's lock
    long lastUsed = System.nanoTime(); // guarded by the engine's lock
    volatile boolean retired;

    Chat(Key key) {
      this.key = key;
    }
  }
}
