package dev.sandcastle.core.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * An image, returned as raw bytes with its MIME type. The array is not copied: treat it as
 * read-only.
 */
public record BinaryContent(String path, @JsonProperty("mime_type") String mimeType, byte[] bytes)
    implements FileContent {
  public BinaryContent {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(mimeType, "mimeType");
    Objects.requireNonNull(bytes, "bytes");
  }

  @Override
  public String toString() {
    return "BinaryContent[path=" + path + ", mimeType=" + mimeType + ", " + bytes.length + " bytes]";
  }
}
