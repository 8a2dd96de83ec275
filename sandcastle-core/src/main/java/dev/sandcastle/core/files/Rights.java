package dev.sandcastle.core.files;

import java.util.function.Supplier;

/** With whose rights a file operation runs: the server's (on the calling thread) or the workspace owner's ({@link AsOwner}). */
interface Rights extends AutoCloseable {
  /** The server's own rights: the operation runs on the calling thread. */
  Rights SERVER = new Rights() {
    @Override
    public <T> T call(Supplier<T> operation) {
      return operation.get();
    }

    @Override
    public void close() {}
  };

  /**
   * Runs an operation with these rights and returns its result; an unchecked exception it throws
   * is thrown here as it is.
   */
  <T> T call(Supplier<T> operation);

  @Override
  void close();
}
