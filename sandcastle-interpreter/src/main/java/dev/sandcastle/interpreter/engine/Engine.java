package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Where the model's Python code runs. Each engine keeps one persistent interpreter per chat
 * ({@link EngineContext#chatId()}), so state carries over between the turns of a chat and never
 * between chats.
 *
 * <p>Threads: every method may be called from any thread, concurrently; runs are blocking (call
 * them on virtual threads). Runs of different chats do not wait for each other; runs of one chat
 * take turns (the workspace and Jupyter engines; a Pyodide page schedules its own runs).
 *
 * <p>Closing an engine stops the interpreters it started; runs in progress fail with {@link
 * Unavailable}.
 */
public interface Engine extends AutoCloseable {

  /** The engine's configuration name: {@code workspace}, {@code jupyter} or {@code pyodide}. */
  String name();

  /**
   * Runs {@code code} in the chat's interpreter (started on first use) and waits until it ends or
   * its time is up.
   *
   * <p>{@code live} receives each output as it is produced, once, in order, <b>on the thread that
   * called this method</b>, before this method returns; the returned run lists the same outputs.
   * It may block (a slow consumer delays the run's end, and may slow the code's output down), but
   * should be quick. If {@code live} throws, the engine interrupts the code as far as it can and
   * the exception leaves this method.
   *
   * <p>A run that ends, fails in the code, or runs out of time returns normally: see {@link
   * CodeRun#status()}. When the time is up, the code is interrupted and the run ends with status
   * {@code timeout} and what was produced until then.
   *
   * @param timeout wall-clock limit of the whole run; must be positive
   * @throws Unavailable the engine cannot run code for this user right now (no workspace, the
   *     Jupyter server is unreachable, no browser page is open, the interpreter was lost mid-run)
   * @throws QuotaExceeded too many interpreters or runs for this user
   * @throws BadRequest the timeout is not positive
   * @throws InterruptedException the calling thread was interrupted; the code is interrupted too
   */
  CodeRun run(EngineContext context, String code, Duration timeout, Consumer<CodeOutput> live) throws InterruptedException;

  /** Stops what the engine started. Idempotent; the default does nothing. */
  @Override
  default void close() {}
}
