package dev.sandcastle.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A data directory for one server of a test (searchable by the workspaces' uids), deleted when closed: close it after the server. */
record DataDir(Path path) implements AutoCloseable {
  static DataDir create(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      dir.toFile().setExecutable(true, false);
      return new DataDir(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    AccountsTest.deleteQuietly(path);
  }
}
