package dev.sandcastle.orchestrator.proxy;

import java.nio.ByteBuffer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The listener of a workspace socket opened by {@link WebSocketBridge}. Public only because
 * Jetty's WebSocket client calls its listeners through public method handles; it cannot be
 * created outside this package and has nothing to offer but Jetty's callbacks.
 *
 * <p>Not auto-demanding: the bridge asks Jetty for the next frame only once the client has taken
 * the previous one. Jetty calls these methods one at a time on its client threads; none blocks.
 */
public final class UpstreamSocketListener implements Session.Listener {
  private final Relay relay;

  UpstreamSocketListener(Relay relay) {
    this.relay = relay;
  }

  @Override
  public void onWebSocketOpen(Session session) {
    relay.upstreamOpened(session);
  }

  @Override
  public void onWebSocketPartialText(String payload, boolean fin) {
    relay.upstreamText(payload, fin);
  }

  @Override
  public void onWebSocketPartialBinary(ByteBuffer payload, boolean fin, Callback callback) {
    relay.upstreamBinary(payload, fin, callback);
  }

  @Override
  public void onWebSocketPing(ByteBuffer payload) {
    relay.upstreamPing(payload);
  }

  @Override
  public void onWebSocketPong(ByteBuffer payload) {
    relay.upstreamPong();
  }

  @Override
  public void onWebSocketClose(int code, String reason, Callback callback) {
    relay.upstreamClosed(code, reason);
    callback.succeed();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    relay.upstreamFailed(cause);
  }
}
