package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.core.kernel.CellResult;
import dev.sandcastle.core.kernel.KernelInfo;
import dev.sandcastle.core.kernel.KernelOutput;
import dev.sandcastle.core.kernel.KernelService;
import dev.sandcastle.core.workspace.Workspace;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs code in the user's own workspace: one kernel of the workspace's {@link KernelService} per
 * chat, inside the workspace sandbox (the user's files, limits and installed libraries), started
 * on the chat's first run and kept for its later turns, until the workspace stops it when idle
 * (the workspace's kernel idle timeout; its state is lost then).
 *
 * <p>The kernel of a chat is named {@code chat-<chat id>} when the chat id is a valid kernel name
 * of at most 100 characters, else {@code chat_<first 32 hex digits of the id's SHA-256>}; the user
 * sees it among the workspace's kernels. When the workspace runs as many kernels as it may, the
 * chat kernel (never another kind of kernel) that was idle the longest is shut down to make room.
 *
 * <p>Threads: {@link #run} hands the code to a virtual thread that waits for the kernel, and
 * passes the outputs to {@code live} on the calling thread. A second run of the same chat waits
 * (up to its timeout) for the first to end, then runs with its full timeout; when it is still
 * waiting at its timeout it fails with {@link Conflict}.
 *
 * <p>This engine holds no state of its own; {@link #close()} does nothing (the kernels belong to
 * the workspaces).
 */
public final class WorkspaceEngine implements Engine {
  /** This engine's configuration name. */
  public static final String NAME = "workspace";

  private static final System.Logger LOG = System.getLogger(WorkspaceEngine.class.getName());
  private static final Pattern VERBATIM = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
  private static final String PREFIX = "chat-";
  private static final String HASHED_PREFIX = "chat_";

  @Override
  public String name() {
    return NAME;
  }

  /** The name of the workspace kernel that serves a chat; always a valid kernel name. */
  public static String kernelName(String chatId) {
    Objects.requireNonNull(chatId, "chatId");
    if (VERBATIM.matcher(chatId).matches()) {
      return PREFIX + chatId;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(chatId.getBytes(StandardCharsets.UTF_8));
      return HASHED_PREFIX + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws Unavailable the context has no workspace, or its kernel could not start
   * @throws QuotaExceeded the workspace runs as many kernels as it may and none is a chat kernel
   *     idle enough to stop
   * @throws Conflict another run of this chat is still going at the end of this run's timeout
   */
  @Override
  public CodeRun run(EngineContext context, String code, Duration timeout, Consumer<CodeOutput> live)
      throws InterruptedException {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(live, "live");
    requirePositive(timeout);
    Workspace workspace = context.workspace().orElseThrow(() -> new Unavailable(
        "the workspace engine runs code in the user's workspace, and this user has none here"));
    KernelService kernels = workspace.kernels();
    String kernel = kernelName(context.chatId());
    RunOutputs outputs = new RunOutputs(live);
    BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    Thread worker = Thread.ofVirtual().name("workspace-engine-" + kernel).start(() -> {
      try {
        CellResult result = execute(kernels, kernel, code, timeout,
            output -> convert(output).ifPresent(converted -> events.add(new Event.Output(converted))));
        events.add(new Event.Done(result));
      } catch (SandcastleException e) {
        events.add(new Event.Failed(e));
      } catch (InterruptedException e) {
        events.add(new Event.Failed(new Unavailable("the run was cancelled")));
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "a run in workspace kernel " + kernel + " failed", e);
        events.add(new Event.Failed(new Unavailable("the workspace kernel failed; try again")));
      }
    });
    boolean finished = false;
    try {
      while (true) {
        switch (events.take()) {
          case Event.Output(CodeOutput output) -> outputs.emit(output);
          case Event.Failed(SandcastleException error) -> {
            finished = true;
            throw error;
          }
          case Event.Done(CellResult result) -> {
            finished = true;
            CodeRun.Status status = CodeRun.Status.ofWireName(result.status());
            // The kernel adds its own TimeoutError to the result only, not to the listener.
            if (status == CodeRun.Status.TIMEOUT && !result.outputs().isEmpty()
                && result.outputs().getLast() instanceof KernelOutput.Error error && error.ename().equals("TimeoutError")) {
              convert(error).ifPresent(outputs::emit);
            }
            return outputs.finish(status);
          }
        }
      }
    } finally {
      if (!finished) { // interrupted, or live threw: stop the code
        worker.interrupt();
        interruptQuietly(kernels, kernel);
      }
    }
  }

  private static CellResult execute(KernelService kernels, String kernel, String code, Duration timeout,
      Consumer<KernelOutput> listener) throws InterruptedException {
    try {
      return kernels.execute(kernel, code, timeout, true, listener);
    } catch (QuotaExceeded e) {
      if (!makeRoom(kernels, kernel)) {
        throw e;
      }
      return kernels.execute(kernel, code, timeout, true, listener);
    }
  }

  /** Shuts down the chat kernel idle the longest (not this one); false when there is none. */
  private static boolean makeRoom(KernelService kernels, String kernel) {
    Optional<KernelInfo> oldest = kernels.list().stream()
        .filter(info -> !info.name().equals(kernel) && info.state().equals("idle"))
        .filter(info -> info.name().startsWith(PREFIX) || info.name().startsWith(HASHED_PREFIX))
        .min(Comparator.comparing(KernelInfo::lastActivity));
    if (oldest.isEmpty()) {
      return false;
    }
    try {
      kernels.shutdown(oldest.get().name());
    } catch (NotFound e) {
      // stopped meanwhile: room anyway
    }
    return true;
  }

  private static void interruptQuietly(KernelService kernels, String kernel) {
    try {
      kernels.interrupt(kernel);
    } catch (SandcastleException e) {
      // not running any more
    }
  }

  /** The engine-neutral form of a kernel output; empty for {@code clear_output}. */
  static Optional<CodeOutput> convert(KernelOutput output) {
    return switch (output) {
      case KernelOutput.Stream stream -> Optional.of(new CodeOutput.Stream(
          stream.name().equals(CodeOutput.Stream.STDERR) ? CodeOutput.Stream.STDERR : CodeOutput.Stream.STDOUT,
          Objects.requireNonNullElse(stream.text(), "")));
      case KernelOutput.Result result -> Optional.of(new CodeOutput.Result(result.data()));
      case KernelOutput.Display display -> Optional.of(new CodeOutput.Display(display.data()));
      case KernelOutput.Error error -> Optional.of(new CodeOutput.Error(
          Objects.requireNonNullElse(error.ename(), ""), Objects.requireNonNullElse(error.evalue(), ""),
          error.traceback().isEmpty() ? error.tracebackPlain() : error.traceback()));
      case KernelOutput.ClearOutput ignored -> Optional.empty();
    };
  }

  static void requirePositive(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new BadRequest("the timeout of a code run must be positive");
    }
  }

  /** What the worker thread tells the calling thread. */
  private sealed interface Event {
    record Output(CodeOutput output) implements Event {}

    record Done(CellResult result) implements Event {}

    record Failed(SandcastleException error) implements Event {}
  }
}
