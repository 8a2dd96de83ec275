package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.workspace.Workspace;
import java.util.Optional;

/**
 * Who asked: the user, their workspace when it is served in-process (where the workspace engine
 * runs and outputs are stored), where outputs go, and how the Open Terminal tools reach the
 * user's workspace API (for {@code features.terminal}).
 */
public record ChatCaller(String userId, Optional<Workspace> workspace, OutputStore outputs, Optional<ToolTransport> terminal) {
  public ChatCaller(String userId, Optional<Workspace> workspace, OutputStore outputs) {
    this(userId, workspace, outputs, Optional.empty());
  }
}
