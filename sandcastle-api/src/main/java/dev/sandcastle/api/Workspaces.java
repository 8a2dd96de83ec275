package dev.sandcastle.api;

import dev.sandcastle.core.workspace.Workspace;
import io.javalin.http.Context;

/**
 * Finds the workspace a request is for: always the same one for {@code sandcastle terminal}, the
 * caller's tenant for the orchestrator. Called after {@link Access} let the request through, on
 * its thread; may block (the orchestrator provisions here) and may throw
 * {@link dev.sandcastle.core.errors.SandcastleException}s.
 */
public interface Workspaces {
  Workspace of(Context request);

  Workspace of(Handshake socket);

  static Workspaces single(Workspace workspace) {
    return new Workspaces() {
      @Override
      public Workspace of(Context request) {
        return workspace;
      }

      @Override
      public Workspace of(Handshake socket) {
        return workspace;
      }
    };
  }
}
