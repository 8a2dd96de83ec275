package dev.sandcastle.core.pty;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Output fan-out without a sandbox: events are fed as the supervisor's reader thread would. */
class TerminalSessionTest {

  /** A client whose sends complete only when the test says so. */
  static final class FakeClient implements TerminalClient {
    final StringBuilder received = new StringBuilder();
    final List<Runnable> pending = new ArrayList<>();
    final AtomicReference<TerminalEnd> end = new AtomicReference<>();
    final boolean autoComplete;

    FakeClient(boolean autoComplete) {
      this.autoComplete = autoComplete;
    }

    @Override
    public void send(ByteBuffer output, Runnable sent, Runnable failed) {
      byte[] bytes = new byte[output.remaining()];
      output.get(bytes);
      received.append(new String(bytes, StandardCharsets.US_ASCII));
      if (autoComplete) {
        sent.run(); // completes before send returns, as Jetty may
      } else {
        pending.add(sent);
      }
    }

    @Override
    public void ended(TerminalEnd end) {
      this.end.set(end);
    }

    void completeAll() {
      while (!pending.isEmpty()) {
        pending.removeFirst().run();
      }
    }
  }

  private static TerminalSession session(int scrollback) {
    TerminalSession session = new TerminalSession("t", scrollback, 0, Runnable::run, null, s -> { });
    session.started(42);
    return session;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aClientGetsTheScrollbackThenLiveOutput() {
    TerminalSession session = session(1024);
    session.output(false, ascii("$ echo hi\r\nhi\r\n"));
    FakeClient client = new FakeClient(true);
    session.attach(client);
    assertThat(client.received).hasToString("$ echo hi\r\nhi\r\n");
    session.output(false, ascii("$ "));
    assertThat(client.received).hasToString("$ echo hi\r\nhi\r\n$ ");
  }

  @Test
  void aStalledClientHoldsOneChunkAndSkipsAheadWithoutHoldingUpOthers() {
    TerminalSession session = session(4096);
    FakeClient fast = new FakeClient(true);
    FakeClient stalled = new FakeClient(false);
    session.attach(fast);
    Attachment slow = session.attach(stalled);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      String line = "y" + i + "\n";
      all.append(line);
      session.output(false, ascii(line));
    }
    assertThat(fast.received).hasToString(all.toString());
    assertThat(stalled.pending).hasSize(1); // never more than one chunk in flight
    stalled.completeAll();
    stalled.completeAll();
    assertThat(slow.skipped()).isPositive();
    assertThat(all.toString()).endsWith(stalled.received.substring(stalled.received.indexOf("\n") + 1));
    assertThat(stalled.received.length()).isLessThan(all.length());
  }

  @Test
  void clientsEndAfterTheLastOutputWithTheExitStatus() {
    TerminalSession session = session(1024);
    FakeClient slow = new FakeClient(false);
    session.attach(slow);
    session.output(false, ascii("bye\r\n"));
    session.exited(3, 0);
    session.closed();
    assertThat(slow.end.get()).isNull(); // its output is still on the way
    slow.completeAll();
    assertThat(slow.received).hasToString("bye\r\n");
    assertThat(slow.end.get()).isEqualTo(new TerminalEnd(3, 0));
    assertThat(session.ended()).isTrue();
  }

  @Test
  void aDetachedClientIsSentNothingMore() {
    TerminalSession session = session(1024);
    FakeClient client = new FakeClient(true);
    Attachment attachment = session.attach(client);
    session.output(false, ascii("one "));
    attachment.detach();
    session.output(false, ascii("two"));
    assertThat(client.received).hasToString("one ");
    assertThat(session.info().clients()).isZero();
  }
}
