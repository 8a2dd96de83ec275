package dev.sandcastle.core.sandbox;

import dev.sandcastle.core.errors.Unavailable;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server's end of the channel to the supervisor process that lives inside a workspace
 * sandbox (see {@code supervisor.py} for the frame format). One platform thread reads the
 * supervisor's events and hands them to the {@link ChannelListener} of each process; writes are
 * serialised by a lock, one frame per write.
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MAX_FRAME = 16 << 20;

  private final Process process;
  private final OutputStream out;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Map<Integer, Pending> channels = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile boolean alive = true;

  private Supervisor(Process process) {
    this.process = process;
    this.out = process.getOutputStream();
  }

  /**
   * Starts the supervisor with this command line and waits until it reports ready.
   *
   * @throws Unavailable when it does not start within the timeout
   */
  static Supervisor start(List<String> command, Map<String, String> env, String name) {
    // stderr is a pipe of our own, never the server's: bwrap's pid 1 holds it, and it runs as the
    // workspace's uid, so the sandbox can reach it through /proc/1/fd/2 (StderrDrain bounds it).
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE)
        .directory(new java.io.File("/"));
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new Unavailable("cannot start the workspace sandbox: " + e.getMessage(), e);
    }
    StderrDrain.start(process.getErrorStream(), name);
    Supervisor supervisor = new Supervisor(process);
    Thread.ofPlatform().name("supervisor-" + name).daemon().start(supervisor::readLoop);
    try {
      if (!supervisor.ready.await(10, TimeUnit.SECONDS) || !supervisor.alive) {
        supervisor.close();
        throw new Unavailable("the workspace sandbox did not start; see the server log");
      }
    } catch (InterruptedException e) {
      supervisor.close();
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while starting the workspace sandbox");
    }
    return supervisor;
  }

  public boolean alive() {
    return alive;
  }

  /** The host pid of the process that was started (bwrap, or the supervisor itself). */
  public long pid() {
    return process.pid();
  }

  /**
   * Asks the supervisor to start a process and returns at once; the listener hears whether it
   * {@link ChannelListener#started started} or {@link ChannelListener#failed failed}. Not waiting
   * here saves a thread hand-off per command: a caller that wants the end waits for the end only.
   *
   * @throws Unavailable when the supervisor is gone
   */
  public Channel spawn(SpawnSpec spec, ChannelListener listener) {
    return spawn(spec, null, listener);
  }

  /**
   * Like {@link #spawn(SpawnSpec, ChannelListener)}, but on a new pseudo-terminal inside the
   * sandbox: the process is the leader of a new session with the terminal as its controlling tty
   * and as its stdin, stdout and stderr; all its output arrives as stdout. With a flow-control
   * window, the supervisor stops reading the terminal once that many bytes are unacknowledged
   * ({@link Channel#acknowledge}).
   */
  public Channel spawnTerminal(SpawnSpec spec, TerminalOptions terminal, ChannelListener listener) {
    return spawn(spec, terminal, listener);
  }

  private Channel spawn(SpawnSpec spec, TerminalOptions terminal, ChannelListener listener) {
    int id = nextId.getAndIncrement();
    channels.put(id, new Pending(listener));
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("argv", spec.argv());
    request.put("cwd", spec.cwd());
    request.put("env", spec.env());
    if (terminal != null) {
      request.put("pty", Map.of("cols", terminal.cols(), "rows", terminal.rows(), "window", terminal.window()));
    }
    try {
      send('S', id, JSON.writeValueAsBytes(request));
    } catch (Unavailable e) {
      channels.remove(id);
      throw e;
    }
    return new Channel(id);
  }

  /** Ends the supervisor; the sandbox and everything in it die with it. */
  @Override
  public void close() {
    alive = false;
    try {
      out.close();
    } catch (IOException ignored) {
      // already gone
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** One process inside the sandbox. */
  public final class Channel {
    private final int id;

    private Channel(int id) {
      this.id = id;
    }

    public void write(byte[] data) {
      send('I', id, data);
    }

    public void closeInput() {
      send('E', id, new byte[0]);
    }

    /** Sends a signal to the process, or to its whole process group. */
    public void signal(int signal, boolean group) {
      send('K', id, ("{\"sig\":" + signal + ",\"group\":" + group + "}").getBytes(StandardCharsets.US_ASCII));
    }

    /** Terminals only: sends a signal to every process of the terminal's session (its jobs too). */
    public void signalSession(int signal) {
      send('K', id, ("{\"sig\":" + signal + ",\"session\":true}").getBytes(StandardCharsets.US_ASCII));
    }

    /** Terminals only: sets the terminal's size; the kernel tells its foreground job (SIGWINCH). */
    public void resize(int cols, int rows) {
      send('Z', id, ("{\"cols\":" + cols + ",\"rows\":" + rows + "}").getBytes(StandardCharsets.US_ASCII));
    }

    /** Terminals only: the server has consumed this many more bytes of output (flow control). */
    public void acknowledge(int bytes) {
      if (bytes > 0) {
        send('A', id, ByteBuffer.allocate(4).putInt(bytes).array());
      }
    }
  }

  /** Reader-thread state of one process. */
  private static final class Pending {
    final ChannelListener listener;
    boolean started;
    boolean exited;

    Pending(ChannelListener listener) {
      this.listener = listener;
    }
  }

  private void send(char kind, int id, byte[] payload) {
    if (!alive) {
      throw new Unavailable("the workspace sandbox stopped");
    }
    byte[] frame = new byte[9 + payload.length];
    ByteBuffer.wrap(frame).putInt(payload.length).put((byte) kind).putInt(id).put(payload);
    writeLock.lock();
    try {
      out.write(frame);
      out.flush();
    } catch (IOException e) {
      alive = false;
      throw new Unavailable("the workspace sandbox stopped");
    } finally {
      writeLock.unlock();
    }
  }

  private void readLoop() {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16))) {
      while (true) {
        int length = in.readInt();
        int kind = in.readUnsignedByte();
        int id = in.readInt();
        if (length < 0 || length > MAX_FRAME) {
          throw new IOException("bad frame length " + length);
        }
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
          throw new EOFException();
        }
        dispatch((char) kind, id, payload);
      }
    } catch (EOFException e) {
      log.debug("supervisor {} ended", process.pid());
    } catch (IOException | RuntimeException e) {
      log.warn("supervisor {} failed: {}", process.pid(), e.toString());
    } finally {
      alive = false;
      ready.countDown();
      process.destroyForcibly();
      for (var entry : channels.entrySet()) {
        Pending pending = entry.getValue();
        if (!pending.started) {
          safely(() -> pending.listener.failed(new SpawnFailure("the workspace sandbox stopped", SpawnFailure.SUPERVISOR_GONE)));
        } else {
          if (!pending.exited) {
            safely(() -> pending.listener.exited(137, 9));
          }
          safely(pending.listener::closed);
        }
      }
      channels.clear();
    }
  }

  private void dispatch(char kind, int id, byte[] payload) {
    switch (kind) {
      case 'R' -> ready.countDown();
      default -> {
        Pending pending = channels.get(id);
        if (pending == null) {
          return;
        }
        switch (kind) {
          case 's' -> {
            pending.started = true;
            long pid = pidOf(payload);
            safely(() -> pending.listener.started(pid));
          }
          case 'f' -> {
            channels.remove(id);
            JsonNode node = json(payload);
            var failure = new SpawnFailure(node.path("error").asString("unknown error"), node.path("errno").asInt());
            safely(() -> pending.listener.failed(failure));
          }
          case 'o' -> safely(() -> pending.listener.output(false, payload));
          case 'e' -> safely(() -> pending.listener.output(true, payload));
          case 'x' -> {
            JsonNode node = json(payload);
            pending.exited = true;
            safely(() -> pending.listener.exited(node.path("code").asInt(), node.path("signal").asInt()));
          }
          case 'c' -> {
            channels.remove(id);
            safely(pending.listener::closed);
          }
          default -> log.warn("unknown supervisor event {}", kind);
        }
      }
    }
  }

  /** The pid in a {@code {"pid":N}} payload, without a JSON parser on the hot path. */
  static long pidOf(byte[] payload) {
    long pid = 0;
    for (byte b : payload) {
      if (b >= '0' && b <= '9') {
        pid = pid * 10 + (b - '0');
      }
    }
    return pid;
  }

  private static JsonNode json(byte[] payload) {
    return JSON.readTree(payload);
  }

  private static void safely(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      log.error("listener failed", e);
    }
  }
}
