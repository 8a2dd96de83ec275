package dev.sandcastle.orchestrator.backend.local;

import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system tools the local backend needs (account tools, mkfs, mount), without a shell. */
final class Tools {
  private static final long TIMEOUT_SECONDS = 60;

  private Tools() {}

  /** A tool's exit status and its standard output and error together. */
  record Result(int exit, String output) {
    boolean ok() {
      return exit == 0;
    }

    /** The first line of the output, for a log line or an error message. */
    String firstLine() {
      String trimmed = output.strip();
      int end = trimmed.indexOf('\n');
      return end < 0 ? trimmed : trimmed.substring(0, end);
    }
  }

  /**
   * Runs a tool with a C locale and no input and waits for it (a minute at most).
   *
   * @throws Unavailable the tool could not be started or did not finish
   */
  static Result run(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("LC_ALL", "C");
    Process process = null;
    try {
      process = builder.start();
      process.getOutputStream().close();
      String output;
      try (InputStream in = process.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new Unavailable(command.getFirst() + " did not finish in " + TIMEOUT_SECONDS + " seconds");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new Unavailable("Cannot run " + command.getFirst(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("Interrupted while running " + command.getFirst(), e);
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
