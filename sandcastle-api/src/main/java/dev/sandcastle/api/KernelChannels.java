package dev.sandcastle.api;

import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelOutput;
import dev.sandcastle.core.kernel.KernelService;
import io.javalin.websocket.WsContext;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One kernel channels socket: the requests of its client, answered as a Jupyter kernel would,
 * over the socket's {@link KernelWire}.
 *
 * <p>Shell requests run one at a time, in order, on a virtual thread of their own (a cell may
 * run for minutes); control requests (interrupt, shutdown) are answered at once on the thread
 * that received them, so an interrupt is not stuck behind the cell it interrupts. Everything sent
 * to the client goes through one queue drained by another virtual thread, so the kernel's reader
 * never waits for a slow client. Requests waiting their turn are bounded in number and bytes; a client past
 * that is closed with 1008.
 */
final class KernelChannels {
  /** Largest message a client may send: a big cell. Larger ones close the socket with 1009. */
  static final int MAX_MESSAGE = 4 << 20;
  private static final long MAX_PENDING_BYTES = 16L << 20;
  private static final int MAX_PENDING = 4096;
  private static final Logger log = LoggerFactory.getLogger(KernelChannels.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Object CLOSE = new Object();

  private record Pending(KernelWire.Message message, long bytes) {}

  private final WsContext ctx;
  private final KernelService kernels;
  private final String kernel;
  private final KernelWire wire;
  private final String session = UUID.randomUUID().toString();
  private final LinkedBlockingQueue<Pending> requests = new LinkedBlockingQueue<>();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final LinkedBlockingQueue<Object> outbox = new LinkedBlockingQueue<>();
  private final Thread worker;

  KernelChannels(WsContext ctx, KernelService kernels, String kernel, KernelWire wire) {
    this.ctx = ctx;
    this.kernels = kernels;
    this.kernel = kernel;
    this.wire = wire;
    this.worker = Thread.ofVirtual().name("jupyter-requests").start(this::work);
    Thread.ofVirtual().name("jupyter-sender").start(this::drain);
  }

  KernelWire wire() {
    return wire;
  }

  /** A message from the client, decoded; {@code bytes} is the size of its frame. Called on the socket's thread. */
  void receive(KernelWire.Message message, long bytes) {
    if (message.channel().equals("control")) {
      control(message);
      return;
    }
    if (pendingBytes.addAndGet(bytes) > MAX_PENDING_BYTES || requests.size() >= MAX_PENDING) {
      ctx.closeSession(1008, "too many requests waiting; wait for replies before sending more");
      return;
    }
    requests.add(new Pending(message, bytes));
  }

  void close() {
    worker.interrupt();
    outbox.add(CLOSE);
  }

  private void work() {
    try {
      while (true) {
        Pending next = requests.take();
        pendingBytes.addAndGet(-next.bytes());
        shell(next.message());
      }
    } catch (InterruptedException e) {
      // the socket closed
    } catch (RuntimeException e) {
      log.warn("jupyter channels: {}", e.toString());
      ctx.closeSession(1011, "internal error");
    }
  }

  private void drain() {
    try {
      while (true) {
        Object next = outbox.take();
        if (next == CLOSE) {
          return;
        }
        var done = new org.eclipse.jetty.websocket.api.Callback.Completable();
        switch ((KernelWire.Frame) next) {
          case KernelWire.Frame.Text text -> ctx.session.sendText(text.text(), done);
          case KernelWire.Frame.Binary binary -> ctx.session.sendBinary(binary.bytes(), done);
        }
        done.get();
      }
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      // the socket closed
    }
  }

  private void control(KernelWire.Message request) {
    JsonNode header = request.header();
    switch (request.type()) {
      case "interrupt_request" -> {
        kernels.interrupt(kernel);
        send("control", "interrupt_reply", header, Map.of("status", "ok"));
      }
      case "shutdown_request" -> {
        if (request.content().path("restart").asBoolean()) {
          Thread.ofVirtual().name("jupyter-restart").start(() -> { // waits for the new kernel: not on the socket's thread
            try {
              kernels.restart(kernel);
              send("control", "shutdown_reply", header, Map.of("status", "ok", "restart", true));
            } catch (InterruptedException | RuntimeException e) {
              send("control", "shutdown_reply", header, Map.of("status", "error", "restart", true));
            }
          });
        } else {
          kernels.shutdown(kernel);
          send("control", "shutdown_reply", header, Map.of("status", "ok", "restart", false));
        }
      }
      case "kernel_info_request" -> kernelInfo("control", header);
      default -> notImplemented("control", request.type(), header);
    }
  }

  private void shell(KernelWire.Message request) throws InterruptedException {
    JsonNode header = request.header();
    switch (request.type()) {
      case "execute_request" -> execute(request, header);
      case "kernel_info_request" -> kernelInfo(request.channel(), header);
      case "comm_info_request" -> {
        status(header, "busy");
        send(request.channel(), "comm_info_reply", header, Map.of("status", "ok", "comms", Map.of()));
        status(header, "idle");
      }
      default -> {
        // Requests this kernel does not implement (completion, inspection, comms) get an
        // answer rather than silence, so a client does not wait for ever.
        if (request.type().endsWith("_request")) {
          status(header, "busy");
          notImplemented(request.channel(), request.type(), header);
          status(header, "idle");
        }
      }
    }
  }

  private void kernelInfo(String channel, JsonNode header) {
    status(header, "busy");
    send(channel, "kernel_info_reply", header, Map.of(
        "status", "ok", "protocol_version", "5.3", "implementation", "sandcastle", "implementation_version", "0.1.0",
        "language_info", Map.of("name", "python", "mimetype", "text/x-python", "file_extension", ".py"),
        "banner", "Sandcastle workspace kernel", "help_links", List.of()));
    status(header, "idle");
  }

  private void notImplemented(String channel, String type, JsonNode header) {
    if (type.endsWith("_request")) {
      send(channel, type.substring(0, type.length() - "_request".length()) + "_reply", header,
          Map.of("status", "error", "ename", "NotImplemented", "evalue", type + " is not supported", "traceback", List.of()));
    }
  }

  private void execute(KernelWire.Message request, JsonNode header) throws InterruptedException {
    String code = request.content().path("code").asString("");
    status(header, "busy");
    send("iopub", "execute_input", header, Map.of("code", code, "execution_count", 0));
    CellResult result;
    try {
      result = kernels.execute(kernel, code, Duration.ZERO, true, output -> send("iopub", output.outputType(), header, content(output)));
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      send("iopub", "error", header, Map.of("ename", "SandcastleError", "evalue", message, "traceback", List.of(message)));
      send("shell", "execute_reply", header, Map.of("status", "error", "execution_count", 0, "ename", "SandcastleError",
          "evalue", message, "traceback", List.of()));
      status(header, "idle");
      return;
    }
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("status", result.status().equals("ok") ? "ok" : "error");
    reply.put("execution_count", result.executionCount());
    if (!result.status().equals("ok")) {
      result.outputs().stream().filter(o -> o instanceof KernelOutput.Error).map(o -> (KernelOutput.Error) o).reduce((a, b) -> b)
          .ifPresent(e -> {
            reply.put("ename", e.ename());
            reply.put("evalue", e.evalue());
            reply.put("traceback", e.traceback());
          });
    }
    reply.put("user_expressions", Map.of());
    reply.put("payload", List.of());
    status(header, "idle");
    send("shell", "execute_reply", header, reply);
  }

  private static Map<String, Object> content(KernelOutput output) {
    return switch (output) {
      case KernelOutput.Stream s -> Map.of("name", s.name(), "text", s.text());
      case KernelOutput.Result r -> Map.of("execution_count", r.executionCount(), "data", r.data(), "metadata", r.metadata());
      case KernelOutput.Display d -> Map.of("data", d.data(), "metadata", d.metadata(), "transient", Map.of());
      case KernelOutput.Error e -> Map.of("ename", e.ename(), "evalue", e.evalue(), "traceback", e.traceback());
      case KernelOutput.ClearOutput c -> Map.of("wait", c.waitForNext());
    };
  }

  private void status(JsonNode parent, String state) {
    send("iopub", "status", parent, Map.of("execution_state", state));
  }

  private void send(String channel, String type, JsonNode parent, Map<String, ?> content) {
    ObjectNode header = JSON.createObjectNode();
    header.put("msg_id", UUID.randomUUID().toString());
    header.put("msg_type", type);
    header.put("username", "sandcastle");
    header.put("session", session);
    header.put("date", Instant.now().toString());
    header.put("version", "5.3");
    outbox.add(wire.encode(new KernelWire.Message(channel, header, parent, JSON.createObjectNode(), JSON.valueToTree(content))));
  }
}
