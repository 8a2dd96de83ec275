package dev.sandcastle.core.kernel;

import dev.sandcastle.core.concurrent.Guard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * One Python interpreter of a workspace, forked by the kernel host. Runs one cell at a time.
 *
 * <p>Events arrive on the supervisor's reader thread ({@link #onEvent}, {@link #onDied}); a
 * request thread runs {@link #run} and parks until the cell is done. The per-output callback of a
 * cell runs on the reader thread: it must not block.
 */
final class Kernel {
  private final String name;
  /** Unique per fork: a restarted kernel of the same name never receives its predecessor's events. */
  private final String hostId;
  private final KernelHost host;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  /** Serialises cells: one runs, others wait or are refused. */
  final ReentrantLock cells = new ReentrantLock(true);
  private boolean started;
  private boolean dead;
  private String deathReason;
  private int executionCount;
  private Instant lastActivity = Instant.now();
  private Cell cell;
  private long nextCell;

  Kernel(String name, String hostId, KernelHost host) {
    this.name = name;
    this.hostId = hostId;
    this.host = host;
  }

  String hostId() {
    return hostId;
  }

  /** SIGINT to the running cell. */
  void interrupt() {
    host.send(Map.of("op", "interrupt", "k", hostId));
  }

  /** SIGKILL to the kernel. */
  void stop() {
    if (host.alive()) {
      host.send(Map.of("op", "stop", "k", hostId));
    }
  }

  String name() {
    return name;
  }

  KernelInfo info() {
    lock.lock();
    try {
      String state = dead ? "dead" : !started ? "starting" : cell != null ? "busy" : "idle";
      return new KernelInfo(name, state, lastActivity, executionCount);
    } finally {
      lock.unlock();
    }
  }

  Instant lastActivity() {
    lock.lock();
    try {
      return lastActivity;
    } finally {
      lock.unlock();
    }
  }

  boolean dead() {
    lock.lock();
    try {
      return dead;
    } finally {
      lock.unlock();
    }
  }

  /** Why it died, in words, once it has. */
  String deathReason() {
    lock.lock();
    try {
      return deathReason;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the host reports the fork running (or dead). */
  boolean awaitStarted(Duration limit) throws InterruptedException {
    return Guard.await(lock, changed, () -> started || dead, limit) && !dead();
  }

  /**
   * Runs a cell; the caller holds {@link #cells}. On timeout the cell is interrupted, and the
   * kernel killed when it does not stop within the grace period.
   */
  CellResult run(String code, Duration timeout, Duration grace, Consumer<KernelOutput> listener) throws InterruptedException {
    long startedAt = System.nanoTime();
    Cell current;
    lock.lock();
    try {
      if (dead) {
        throw new IllegalStateException("kernel " + name + " is dead");
      }
      current = new Cell(name + "-" + (++nextCell), listener);
      cell = current;
      lastActivity = Instant.now();
    } finally {
      lock.unlock();
    }
    host.markOomBaseline();
    host.send(Map.of("op", "execute", "k", hostId, "id", current.id, "code", code));
    boolean timedOut = !awaitDone(current, timeout);
    if (timedOut) {
      interrupt();
      if (!awaitDone(current, grace)) {
        stop();
        awaitDone(current, Duration.ofSeconds(10));
      }
    }
    lock.lock();
    try {
      cell = null;
      lastActivity = Instant.now();
      String status = timedOut ? "timeout" : current.status == null ? "error" : current.status;
      if (timedOut) {
        String message = current.lost
            ? "the cell ran longer than " + seconds(timeout) + " and did not stop when interrupted; the kernel was restarted and its state is lost"
            : "the cell ran longer than " + seconds(timeout) + " and was interrupted; the kernel keeps its state";
        current.outputs.append(new KernelOutput.Error("TimeoutError", message, List.of("TimeoutError: " + message),
            List.of("TimeoutError: " + message)));
      }
      return new CellResult(status, current.count == 0 ? executionCount : current.count, current.outputs.outputs(),
          Duration.ofNanos(System.nanoTime() - startedAt), current.lost);
    } finally {
      lock.unlock();
    }
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private boolean awaitDone(Cell current, Duration limit) throws InterruptedException {
    return Guard.await(lock, changed, () -> current.done, limit);
  }

  /** An event of this kernel from the host (reader thread). */
  void onEvent(JsonNode event) {
    String type = event.path("type").asString("");
    lock.lock();
    try {
      if (type.equals("started")) {
        started = true;
        changed.signalAll();
        return;
      }
      Cell current = cell;
      if (current == null || !current.id.equals(event.path("id").asString(""))) {
        return; // output of a cell nobody waits for any more
      }
      KernelOutput output = switch (type) {
        case "stream" -> new KernelOutput.Stream(event.path("name").asString("stdout"), event.path("text").asString(""));
        case "execute_result" -> new KernelOutput.Result(event.path("execution_count").asInt(), map(event.path("data")), map(event.path("metadata")));
        case "display_data" -> new KernelOutput.Display(map(event.path("data")), map(event.path("metadata")));
        case "clear_output" -> new KernelOutput.ClearOutput(event.path("wait").asBoolean());
        case "error" -> new KernelOutput.Error(event.path("ename").asString(""), event.path("evalue").asString(""),
            strings(event.path("traceback")), strings(event.path("traceback_plain")));
        case "done" -> {
          current.status = event.path("status").asString("error");
          current.count = event.path("execution_count").asInt();
          executionCount = current.count;
          current.done = true;
          changed.signalAll();
          yield null;
        }
        default -> null;
      };
      if (output != null) {
        current.outputs.add(output);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The kernel process ended (reader thread). */
  void onDied(String reason) {
    lock.lock();
    try {
      dead = true;
      deathReason = reason;
      Cell current = cell;
      if (current != null && !current.done) {
        current.outputs.add(new KernelOutput.Error("KernelDied", reason, List.of("KernelDied: " + reason), List.of("KernelDied: " + reason)));
        current.status = "error";
        current.lost = true;
        current.done = true;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private static Map<String, Object> map(JsonNode node) {
    Map<String, Object> map = new LinkedHashMap<>();
    node.properties().forEach(e -> map.put(e.getKey(), KernelHost.plain(e.getValue())));
    return map;
  }

  private static List<String> strings(JsonNode node) {
    List<String> list = new ArrayList<>();
    node.forEach(n -> list.add(n.asString("")));
    return list;
  }

  /** How kernel outputs look to the {@link OutputCollector}. */
  private static final OutputCollector.Shape<KernelOutput> SHAPE = new OutputCollector.Shape<>() {
    @Override
    public OutputCollector.Text text(KernelOutput output) {
      return output instanceof KernelOutput.Stream s ? new OutputCollector.Text(s.name(), s.text()) : null;
    }

    @Override
    public KernelOutput stream(String name, String text) {
      return new KernelOutput.Stream(name, text);
    }

    @Override
    public long dataSize(KernelOutput output) {
      return switch (output) {
        case KernelOutput.Stream s -> s.text().length();
        case KernelOutput.Result r -> r.data().values().stream().mapToLong(v -> String.valueOf(v).length()).sum();
        case KernelOutput.Display d -> d.data().values().stream().mapToLong(v -> String.valueOf(v).length()).sum();
        case KernelOutput.Error e -> e.evalue().length() + e.traceback().stream().mapToLong(String::length).sum();
        case KernelOutput.ClearOutput c -> 0;
      };
    }
  };

  /** A cell in flight; guarded by the kernel's lock. */
  private static final class Cell {
    final String id;
    /**
     * The server's own bound on what one cell may send (kernel.py has one too, but runs in the
     * untrusted sandbox); a listener's failure must not stop the kernel's bookkeeping.
     */
    final OutputCollector<KernelOutput> outputs;
    String status;
    int count;
    boolean done;
    boolean lost;

    Cell(String id, Consumer<KernelOutput> listener) {
      this.id = id;
      this.outputs = new OutputCollector<>(SHAPE, output -> {
        try {
          listener.accept(output);
        } catch (RuntimeException ignored) {
          // the listener is the caller's; the cell goes on
        }
      }, "\n[output truncated: this cell sent more than the server keeps]\n");
    }
  }
}
