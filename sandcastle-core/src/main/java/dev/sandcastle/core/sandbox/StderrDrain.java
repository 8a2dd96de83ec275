package dev.sandcastle.core.sandbox;

import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the stderr pipe of a sandbox's launcher, bubblewrap and supervisor, and logs what they
 * say about starting, bounded. The pipe is the sandbox's, never the server's own stderr: bwrap's
 * pid 1 runs as the workspace's uid, so anything in the sandbox can open {@code /proc/1/fd/2}
 * and write to it. So every line is logged as the workspace's, cut to {@link #MAX_LINE}
 * characters with control characters escaped (no forged log lines, no terminal escapes), at
 * most {@link #BURST} lines and then one per {@link #REFILL_MILLIS}; the rest is read and
 * dropped (counted), so a writer never blocks and never costs the server more than this
 * thread's fixed buffer.
 */
final class StderrDrain implements Runnable {
  static final int MAX_LINE = 300;
  static final int BURST = 20;
  static final long REFILL_MILLIS = 5_000;
  private static final Logger log = LoggerFactory.getLogger(StderrDrain.class);

  private final InputStream in;
  private final String name;
  private final StringBuilder line = new StringBuilder(MAX_LINE + 16);
  private boolean cut;
  private double tokens = BURST;
  private long lastRefill = System.nanoTime();
  private long dropped;

  private StderrDrain(InputStream in, String name) {
    this.in = in;
    this.name = name;
  }

  /** Starts draining {@code in} on a small daemon thread of its own; it ends at end of stream. */
  static void start(InputStream in, String name) {
    Thread.ofPlatform().name("sandbox-stderr-" + name).daemon().stackSize(128 * 1024).start(new StderrDrain(in, name));
  }

  @Override
  public void run() {
    byte[] buffer = new byte[4096];
    try (in) {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        for (int i = 0; i < n; i++) {
          accept(buffer[i] & 0xff);
        }
      }
    } catch (IOException e) {
      // the sandbox is gone
    }
    if (!line.isEmpty() || cut) {
      emit();
    }
    if (dropped > 0) {
      log.warn("workspace {}: {} more lines on the sandbox's stderr were dropped", name, dropped);
    }
  }

  private void accept(int b) {
    if (b == '\n') {
      emit();
    } else if (line.length() >= MAX_LINE) {
      cut = true;
    } else if (b >= 0x20 && b < 0x7f) {
      line.append((char) b);
    } else {
      line.append(String.format("\\x%02x", b));
    }
  }

  private void emit() {
    long now = System.nanoTime();
    tokens = Math.min(BURST, tokens + (now - lastRefill) / 1e6 / REFILL_MILLIS);
    lastRefill = now;
    if (tokens >= 1) {
      tokens--;
      log.warn("workspace {}: {}{}", name, line, cut ? " [cut]" : "");
    } else {
      dropped++;
    }
    line.setLength(0);
    cut = false;
  }
}
