package dev.sandcastle.interpreter.chat;

import java.time.Duration;

/**
 * Server defaults of the code interpreter; a request may choose otherwise within these bounds.
 *
 * @param maxRounds code executions per answer (the model is called at most one time more)
 * @param engine the default engine: {@code workspace}, {@code jupyter} or {@code pyodide}
 * @param legacy true to default to the XML mode instead of native tool calls
 * @param codeTimeout wall-clock limit of one execution
 */
public record ChatSettings(int maxRounds, String engine, boolean legacy, Duration codeTimeout) {
  public ChatSettings {
    if (maxRounds < 1 || maxRounds > 256) {
      throw new IllegalArgumentException("the round limit must be between 1 and 256");
    }
    if (!engine.equals("workspace") && !engine.equals("jupyter") && !engine.equals("pyodide")) {
      throw new IllegalArgumentException("the engine must be workspace, jupyter or pyodide");
    }
  }

  public static ChatSettings defaults() {
    return new ChatSettings(16, "workspace", false, Duration.ofSeconds(120));
  }
}
