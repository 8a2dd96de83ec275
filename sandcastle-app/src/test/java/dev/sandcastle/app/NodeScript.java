package dev.sandcastle.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Node script of the tests, run to its end (or killed at its time limit) with its output, both
 * streams, kept in a file rather than a pipe nobody reads.
 *
 * @param ended whether it finished within its time
 * @param exitCode its exit code; -1 when it was killed
 * @param output what it printed
 */
record NodeScript(boolean ended, int exitCode, String output) {
  static NodeScript run(Path directory, List<String> arguments, Map<String, String> environment, Duration limit) throws Exception {
    Path log = Files.createTempFile("sandcastle-node", ".log");
    try {
      List<String> command = new ArrayList<>(List.of("node"));
      command.addAll(arguments);
      ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(environment);
      Process node = builder.start();
      node.getOutputStream().close();
      boolean ended = node.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
      if (!ended) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      return new NodeScript(ended, ended ? node.exitValue() : -1, Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
