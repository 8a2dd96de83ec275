package dev.sandcastle.core.exec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded output of one process: the newest entries in memory (at most {@code memoryCap}
 * characters; older ones are dropped and reported as truncated) and the raw bytes in a log file
 * that rotates once it passes {@code diskCap} (the previous part is kept as {@code .1}). Entry
 * indexes keep counting across drops, so clients' offsets stay valid.
 *
 * <p>Not thread-safe: {@link Execution} guards it.
 */
final class OutputLog {
  private static final Logger log = LoggerFactory.getLogger(OutputLog.class);

  private final long memoryCap;
  private final long diskCap;
  private final Path file;
  private final ArrayDeque<OutputEntry> entries = new ArrayDeque<>();
  private final CharsetDecoder[] decoders = {decoder(), decoder()};
  private final ByteBuffer[] carry = {ByteBuffer.allocate(8), ByteBuffer.allocate(8)};
  private long first; // index of entries.peekFirst()
  private long memory;
  private long written;
  private FileChannel channel;
  private boolean diskFailed;

  OutputLog(Path file, long memoryCap, long diskCap) {
    this.file = file;
    this.memoryCap = memoryCap;
    this.diskCap = diskCap;
  }

  Path file() {
    return file;
  }

  /** Index the next entry will get; the total number of entries ever added. */
  long end() {
    return first + entries.size();
  }

  void append(boolean stderr, byte[] data) {
    toDisk(data);
    String text = decode(stderr ? 1 : 0, data, false);
    if (!text.isEmpty()) {
      add(new OutputEntry(stderr ? "stderr" : "stdout", text));
    }
  }

  /** Flushes partial characters at the end of the streams and closes the file. */
  void finish() {
    for (int i = 0; i < 2; i++) {
      String rest = decode(i, new byte[0], true);
      if (!rest.isEmpty()) {
        add(new OutputEntry(i == 1 ? "stderr" : "stdout", rest));
      }
    }
    closeFile();
  }

  /**
   * Entries from {@code offset} (clamped to what is still held), the last {@code tail} of them when
   * tail is non-negative.
   */
  Slice slice(long offset, int tail) {
    long from = Math.max(offset, first);
    long end = end();
    if (tail >= 0) {
      from = Math.max(from, end - tail);
    }
    boolean truncated = from > Math.max(offset, 0);
    List<OutputEntry> out = new ArrayList<>((int) Math.max(0, end - from));
    long index = first;
    for (OutputEntry entry : entries) {
      if (index >= from) {
        out.add(entry);
      }
      index++;
    }
    return new Slice(out, truncated, end);
  }

  record Slice(List<OutputEntry> entries, boolean truncated, long nextOffset) {}

  void delete() {
    closeFile();
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(rotated());
    } catch (IOException e) {
      log.warn("cannot delete log {}: {}", file, e.getMessage());
    }
  }

  private void add(OutputEntry entry) {
    entries.addLast(entry);
    memory += entry.data().length();
    while (memory > memoryCap && entries.size() > 1) {
      memory -= entries.removeFirst().data().length();
      first++;
    }
  }

  private void toDisk(byte[] data) {
    if (diskFailed) {
      return;
    }
    try {
      if (channel == null) {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      }
      if (written + data.length > diskCap) {
        channel.close();
        Files.move(file, rotated(), StandardCopyOption.REPLACE_EXISTING);
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        written = 0;
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      while (buffer.hasRemaining()) {
        written += channel.write(buffer);
      }
    } catch (IOException e) {
      diskFailed = true;
      log.warn("cannot write log {}: {}; output is kept in memory only", file, e.getMessage());
    }
  }

  private Path rotated() {
    return file.resolveSibling(file.getFileName() + ".1");
  }

  private void closeFile() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing to save
      }
      channel = null;
    }
  }

  /** Decodes UTF-8, carrying an incomplete trailing sequence over to the next chunk. */
  private String decode(int stream, byte[] data, boolean endOfInput) {
    ByteBuffer pending = carry[stream];
    ByteBuffer input;
    if (pending.position() > 0) {
      pending.flip();
      input = ByteBuffer.allocate(pending.remaining() + data.length).put(pending).put(data).flip();
      pending.clear();
    } else {
      input = ByteBuffer.wrap(data);
    }
    var chars = java.nio.CharBuffer.allocate((int) (input.remaining() * 1.1) + 4);
    decoders[stream].decode(input, chars, endOfInput);
    if (endOfInput) {
      decoders[stream].flush(chars);
      decoders[stream].reset();
    }
    if (input.remaining() > 0 && input.remaining() <= 8) {
      pending.put(input);
    }
    return chars.flip().toString();
  }

  private static CharsetDecoder decoder() {
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
  }
}
