package dev.sandcastle.core.files;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Content sniffing (text, image, other binary) and MIME types by file name. */
final class Sniff {
  /** How much of a file's start decides whether it is text. */
  static final int HEAD_BYTES = 8192;

  private static final Map<String, String> MIME_TYPES =
      Map.ofEntries(
          Map.entry("html", "text/html"),
          Map.entry("htm", "text/html"),
          Map.entry("css", "text/css"),
          Map.entry("js", "text/javascript"),
          Map.entry("mjs", "text/javascript"),
          Map.entry("json", "application/json"),
          Map.entry("map", "application/json"),
          Map.entry("ipynb", "application/x-ipynb+json"),
          Map.entry("txt", "text/plain"),
          Map.entry("log", "text/plain"),
          Map.entry("md", "text/markdown"),
          Map.entry("markdown", "text/markdown"),
          Map.entry("csv", "text/csv"),
          Map.entry("tsv", "text/tab-separated-values"),
          Map.entry("xml", "application/xml"),
          Map.entry("yaml", "application/yaml"),
          Map.entry("yml", "application/yaml"),
          Map.entry("toml", "application/toml"),
          Map.entry("py", "text/x-python"),
          Map.entry("sh", "text/x-shellscript"),
          Map.entry("java", "text/x-java"),
          Map.entry("c", "text/x-c"),
          Map.entry("h", "text/x-c"),
          Map.entry("ts", "text/plain"),
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("jpeg", "image/jpeg"),
          Map.entry("gif", "image/gif"),
          Map.entry("webp", "image/webp"),
          Map.entry("svg", "image/svg+xml"),
          Map.entry("bmp", "image/bmp"),
          Map.entry("ico", "image/vnd.microsoft.icon"),
          Map.entry("avif", "image/avif"),
          Map.entry("pdf", "application/pdf"),
          Map.entry("zip", "application/zip"),
          Map.entry("gz", "application/gzip"),
          Map.entry("tar", "application/x-tar"),
          Map.entry("wasm", "application/wasm"),
          Map.entry("mp3", "audio/mpeg"),
          Map.entry("wav", "audio/wav"),
          Map.entry("ogg", "audio/ogg"),
          Map.entry("mp4", "video/mp4"),
          Map.entry("webm", "video/webm"),
          Map.entry("woff", "font/woff"),
          Map.entry("woff2", "font/woff2"));

  private Sniff() {}

  /** The MIME type for a file name's extension; application/octet-stream if unknown. */
  static String mimeType(String fileName) {
    return MIME_TYPES.getOrDefault(extension(fileName), "application/octet-stream");
  }

  static String extension(String fileName) {
    int dot = fileName.lastIndexOf('.');
    int slash = fileName.lastIndexOf('/');
    return dot > slash + 1 ? fileName.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
  }

  /**
   * The image type of a file, if it is one. PNG, JPEG, GIF and WebP are recognised by their
   * signature whatever the name says. BMP and ICO signatures are too short to trust alone, so
   * they also need their extension; SVG is text, so it needs the .svg extension and an
   * {@code <svg} tag in the first bytes.
   */
  static Optional<String> image(byte[] head, int length, String fileName) {
    String extension = extension(fileName);
    if (startsWith(head, length, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return Optional.of("image/png");
    }
    if (startsWith(head, length, 0xFF, 0xD8, 0xFF)) {
      return Optional.of("image/jpeg");
    }
    if (startsWith(head, length, 'G', 'I', 'F', '8', '7', 'a')
        || startsWith(head, length, 'G', 'I', 'F', '8', '9', 'a')) {
      return Optional.of("image/gif");
    }
    if (length >= 12
        && startsWith(head, length, 'R', 'I', 'F', 'F')
        && head[8] == 'W'
        && head[9] == 'E'
        && head[10] == 'B'
        && head[11] == 'P') {
      return Optional.of("image/webp");
    }
    if (extension.equals("bmp") && startsWith(head, length, 'B', 'M')) {
      return Optional.of("image/bmp");
    }
    if (extension.equals("ico") && startsWith(head, length, 0, 0, 1, 0)) {
      return Optional.of("image/vnd.microsoft.icon");
    }
    if (extension.equals("svg")) {
      String text = new String(head, 0, length, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      if (text.contains("<svg")) {
        return Optional.of("image/svg+xml");
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the first bytes of a file look binary: a NUL byte, or bytes that are not UTF-8. A
   * multi-byte character cut by the end of {@code head} does not count unless {@code whole}
   * says the head is the entire file.
   */
  static boolean isBinary(byte[] head, int length, boolean whole) {
    for (int i = 0; i < length; i++) {
      if (head[i] == 0) {
        return true;
      }
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CoderResult result =
        decoder.decode(ByteBuffer.wrap(head, 0, length), CharBuffer.allocate(length + 1), whole);
    return result.isError();
  }

  private static boolean startsWith(byte[] head, int length, int... signature) {
    if (length < signature.length) {
      return false;
    }
    for (int i = 0; i < signature.length; i++) {
      if ((head[i] & 0xFF) != signature[i]) {
        return false;
      }
    }
    return true;
  }
}
