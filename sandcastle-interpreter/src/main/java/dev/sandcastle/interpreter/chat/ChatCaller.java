package dev.sandcastle.interpreter.chat;

import dev.sandcastle.core.workspace.Workspace;
import java.util.Optional;

/**
 * Who asked: the user, their workspace when it is served in-process (where the workspace engine
 * runs and outputs are stored), and where outputs go.
 */
public record ChatCaller(String userId, Optional<Workspace> workspace, OutputStore outputs) {}
