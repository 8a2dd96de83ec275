package dev.sandcastle.interpreter.engine;

import dev.sandcastle.core.errors.QuotaExceeded;
import dev.sandcastle.core.errors.Unavailable;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs code in the user's own browser, with Pyodide, through a {@link PyodideBroker}: the code
 * goes to the page the user registered most recently, and the run waits for its answer (see the
 * broker for the message protocol). The interpreter lives in the page, so state persists between
 * the turns of a chat as long as the page stays open.
 *
 * <p>Threads: {@code live} runs on the calling thread. Runs are not serialised here: the page
 * decides how it schedules several runs.
 */
public final class PyodideEngine implements Engine {
  /** This engine's configuration name. */
  public static final String NAME = "pyodide";

  private final PyodideBroker broker;

  public PyodideEngine(PyodideBroker broker) {
    this.broker = Objects.requireNonNull(broker, "broker");
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@inheritDoc}
   *
   * @throws Unavailable no page of this user is open ("no browser page with the Pyodide engine is
   *     open for this user; open the chat in a browser"), the page could not be reached, or it
   *     closed before the code finished
   * @throws QuotaExceeded too many runs of this user wait for the browser already
   */
  @Override
  public CodeRun run(EngineContext context, String code, Duration timeout, Consumer<CodeOutput> live)
      throws InterruptedException {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(live, "live");
    WorkspaceEngine.requirePositive(timeout);
    return broker.run(context.userId(), context.chatId(), code, timeout, live);
  }
}
