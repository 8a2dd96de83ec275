package dev.sandcastle.core.pty;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's attachment to a terminal: its place in the output, and its way to type, resize
 * and leave. Output is sent one chunk at a time; the next chunk goes when the previous one
 * completed, so a slow client holds at most one chunk and falls behind in the ring instead.
 *
 * <p>Thread-safe: any thread may type, resize or detach.
 */
public final class Attachment {
  private static final Logger log = LoggerFactory.getLogger(Attachment.class);
  private static final int MAX_CHUNK = 64 << 10;

  private final TerminalSession session;
  private final TerminalClient client;
  /** Work-in-progress counter: one thread at a time runs the send loop; others leave it a note. */
  private final AtomicInteger wip = new AtomicInteger();
  // Guarded by the session's lock.
  /** The next byte to send, as an offset in the session's output. */
  private long cursor;
  /** Output the client has been sent (completed sends), for flow control. */
  long delivered;
  private boolean inFlight;
  private boolean finished;
  private long skipped;

  Attachment(TerminalSession session, TerminalClient client, long cursor) {
    this.session = session;
    this.client = client;
    this.cursor = cursor;
    this.delivered = cursor;
  }

  /** The terminal this attachment belongs to. */
  public String terminalId() {
    return session.id();
  }

  /** Sends keystrokes (or pasted text) to the shell. */
  public void input(byte[] data) {
    session.input(data);
  }

  /** Sets the terminal's size; the last client to resize wins. */
  public void resize(int cols, int rows) {
    session.resize(cols, rows);
  }

  /** Stops sending to this client; the terminal lives on (for its grace period if it was the last). */
  public void detach() {
    session.lock.lock();
    try {
      finished = true;
    } finally {
      session.lock.unlock();
    }
    session.detach(this);
  }

  /** Bytes this client missed because it fell behind the scrollback. */
  public long skipped() {
    session.lock.lock();
    try {
      return skipped;
    } finally {
      session.lock.unlock();
    }
  }

  /** Sends what the client has not seen yet; safe to call from any thread, at any time. */
  void pump() {
    if (wip.getAndIncrement() != 0) {
      return; // the thread in the loop will look again
    }
    int missed = 1;
    do {
      step();
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  private void step() {
    ByteBuffer chunk = null;
    TerminalEnd ending = null;
    session.lock.lock();
    try {
      if (finished || inFlight) {
        return;
      }
      Scrollback scrollback = session.scrollback;
      if (cursor < scrollback.start()) {
        long resume = scrollback.replayStart();
        skipped += resume - cursor;
        cursor = resume;
        delivered = Math.max(delivered, cursor);
      }
      if (cursor < scrollback.end()) {
        chunk = scrollback.copy(cursor, MAX_CHUNK);
        cursor += chunk.remaining();
        inFlight = true;
      } else if (session.end != null) {
        ending = session.end;
        finished = true;
        session.clients.remove(this);
      }
    } finally {
      session.lock.unlock();
    }
    if (chunk != null) {
      try {
        client.send(chunk, this::sent, this::failed);
      } catch (RuntimeException e) {
        log.debug("terminal {}: a client failed to send: {}", session.id(), e.toString());
        failed();
      }
    } else if (ending != null) {
      try {
        client.ended(ending);
      } catch (RuntimeException e) {
        log.debug("terminal {}: a client failed to end: {}", session.id(), e.toString());
      }
    }
  }

  private void sent() {
    session.lock.lock();
    try {
      inFlight = false;
      delivered = cursor;
      session.settleCredit();
    } finally {
      session.lock.unlock();
    }
    pump();
  }

  private void failed() {
    session.lock.lock();
    try {
      inFlight = false;
    } finally {
      session.lock.unlock();
    }
    detach();
  }
}
