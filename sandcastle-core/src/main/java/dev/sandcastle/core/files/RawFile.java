package dev.sandcastle.core.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * An open regular file for streaming to a client (view, serve, download). The caller owns the
 * stream and must close it (closing the {@code RawFile} closes it).
 *
 * @param size the size when it was opened; the file may change while it is streamed
 */
public record RawFile(
    String path, String mimeType, long size, InputStream stream)
    implements AutoCloseable {
  public RawFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(mimeType, "mimeType");
    Objects.requireNonNull(stream, "stream");
  }

  @Override
  public void close() {
    try {
      stream.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
