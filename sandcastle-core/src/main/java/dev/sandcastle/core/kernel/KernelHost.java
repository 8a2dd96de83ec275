package dev.sandcastle.core.kernel;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.sandbox.ChannelListener;
import dev.sandcastle.core.sandbox.SpawnFailure;
import dev.sandcastle.core.sandbox.SpawnSpec;
import dev.sandcastle.core.sandbox.Supervisor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JVM's end of {@code kernel.py}: one host process per workspace, inside the sandbox, that
 * forks kernels. Its events (JSON lines) are read on the supervisor's reader thread and routed to
 * the {@link Kernel} they name.
 */
final class KernelHost implements ChannelListener {
  private static final Logger log = LoggerFactory.getLogger(KernelHost.class);
  /** Strict about duplicate keys: a kernel's line cannot smuggle in a second "k" naming another kernel. */
  private static final JsonMapper JSON = JsonMapper.builder().enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  /** One event line: more than a cell's rich-output allowance (base64 images) and no more. */
  private static final int MAX_LINE = 40 << 20;

  /** Live kernels by their host id. */
  private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong forks = new java.util.concurrent.atomic.AtomicLong();
  private final CountDownLatch ready = new CountDownLatch(1);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean discarding;
  private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
  private final LongSupplier oomKills;
  private volatile long oomBaseline;
  private volatile Supervisor.Channel channel;
  private volatile boolean alive = true;
  private volatile String failure;

  private KernelHost(LongSupplier oomKills) {
    this.oomKills = oomKills;
    this.oomBaseline = oomKills.getAsLong();
  }

  /** Starts the host and waits until its libraries are imported. */
  static KernelHost start(Supervisor supervisor, SpawnSpec spec, LongSupplier oomKills, Duration limit) throws InterruptedException {
    KernelHost host = new KernelHost(oomKills);
    host.channel = supervisor.spawn(spec, host);
    if (!host.ready.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      host.stop();
      throw new Unavailable("the Python kernel host did not start within " + limit.toSeconds() + " s");
    }
    if (!host.alive) {
      throw new Unavailable("the Python kernel host failed to start: " + host.failure);
    }
    return host;
  }

  boolean alive() {
    return alive;
  }

  /** Asks the host to fork a kernel; the kernel reports when it runs. */
  Kernel fork(String name, String cwd) {
    String hostId = name + "#" + forks.incrementAndGet();
    Kernel kernel = new Kernel(name, hostId, this);
    kernels.put(hostId, kernel);
    send(Map.of("op", "start", "k", hostId, "cwd", cwd));
    return kernel;
  }

  /** Reads the OOM-kill count before a cell, so a kill during it can be named. */
  void markOomBaseline() {
    oomBaseline = oomKills.getAsLong();
  }

  void send(Map<String, ?> request) {
    if (!alive) {
      throw new Unavailable("the Python kernel host stopped");
    }
    byte[] bytes = JSON.writeValueAsBytes(request);
    byte[] framed = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, framed, 0, bytes.length);
    framed[bytes.length] = '\n';
    channel.write(framed);
  }

  void stop() {
    alive = false;
    Supervisor.Channel current = channel;
    if (current != null) {
      current.signal(9, true);
    }
  }

  @Override
  public void started(long pid) {}

  @Override
  public void failed(SpawnFailure failure) {
    this.failure = failure.error();
    alive = false;
    ready.countDown();
  }

  @Override
  public void output(boolean stderr, byte[] data) {
    if (stderr) {
      errors.write(data, 0, data.length);
      if (errors.size() > 65_536) {
        errors.reset();
      }
      String text = new String(data, StandardCharsets.UTF_8).strip();
      if (!text.isEmpty()) {
        log.warn("kernel host: {}", text);
      }
      return;
    }
    int start = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n') {
        append(data, start, i - start);
        if (!discarding) {
          handle(line.toByteArray());
        }
        line.reset();
        discarding = false;
        start = i + 1;
      }
    }
    append(data, start, data.length - start);
  }

  /** Collects a line up to MAX_LINE; a longer one is skipped to its end, never held whole. */
  private void append(byte[] data, int offset, int length) {
    if (discarding) {
      return;
    }
    if (line.size() + length > MAX_LINE) {
      log.warn("kernel host sent an event larger than {} bytes; dropped", MAX_LINE);
      line.reset();
      discarding = true;
      return;
    }
    line.write(data, offset, length);
  }

  @Override
  public void exited(int code, int signal) {
    alive = false;
    failure = errors.toString(StandardCharsets.UTF_8).strip();
    ready.countDown();
    String reason = reason(code, signal, "the kernel host ended");
    for (Kernel kernel : kernels.values()) {
      kernel.onDied(reason);
    }
    kernels.clear();
  }

  private void handle(byte[] bytes) {
    JsonNode event;
    try {
      event = JSON.readTree(bytes);
    } catch (RuntimeException e) {
      log.warn("kernel host sent a line that is not JSON: {}", new String(bytes, 0, Math.min(200, bytes.length), StandardCharsets.UTF_8));
      return;
    }
    String type = event.path("type").asString("");
    if (!event.has("k")) {
      switch (type) {
        case "ready" -> ready.countDown();
        case "log" -> log.warn("kernel host: {}", event.path("error").asString(""));
        default -> { }
      }
      return;
    }
    Kernel kernel = kernels.get(event.path("k").asString(""));
    if (kernel == null) {
      return;
    }
    if (type.equals("died")) {
      kernels.remove(kernel.hostId());
      kernel.onDied(reason(event.path("code").asInt(), event.path("signal").asInt(), "the kernel ended"));
    } else {
      kernel.onEvent(event);
    }
  }

  /** Says why a kernel ended, naming the memory limit when the OOM killer did it. */
  private String reason(int code, int signal, String what) {
    if (signal == 9 && oomKills.getAsLong() > oomBaseline) {
      return what + ": the workspace ran out of memory and the kernel was killed; its variables are lost";
    }
    if (signal == 9) {
      return what + ": it was killed; its variables are lost";
    }
    return what + " (exit status " + code + "); its variables are lost";
  }

  /** A JSON value as plain Java data (maps, lists, strings, numbers, booleans, null). */
  static Object plain(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.properties().forEach(e -> map.put(e.getKey(), plain(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(n -> list.add(plain(n)));
      return list;
    }
    if (node.isTextual()) {
      return node.asString();
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return null;
  }
}
