package dev.sandcastle.interpreter.chat;

import dev.sandcastle.api.Handshake;
import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;
import java.util.Optional;

/**
 * What the chat routes need from the multi-tenant layer, implemented by the wiring. Each method
 * runs on the request's or socket's thread and may block (it may start a workspace).
 */
public interface ChatTenants {
  /** The authenticated request's user, their in-process workspace if any, and where outputs go. */
  ChatCaller caller(Context request);

  /** The workspace a signed output link points into, started if needed. */
  Optional<Workspace> workspace(OutputLinks.Owner owner);

  /**
   * Authenticates a browser page's socket (the Pyodide engine) and returns its user id.
   *
   * @throws dev.sandcastle.api.SocketRefused with the close code to send
   */
  String authenticate(Handshake socket, Optional<String> token);

  /** A socket {@link #authenticate} let through has closed. */
  void closed(Handshake socket);
}
