package dev.sandcastle.core.exec;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A snapshot of a command for clients, in the Open Terminal wire shape.
 *
 * @param exitCode null while running
 * @param truncated whether output in the requested range was dropped (memory cap) or cut (tail)
 * @param nextOffset the offset to ask for next to continue reading
 * @param logPath the full output log as commands in the workspace see it (read it with cat)
 */
public record ExecutionView(
    String id,
    String command,
    String status,
    @JsonProperty("exit_code") Integer exitCode,
    List<OutputEntry> output,
    boolean truncated,
    @JsonProperty("next_offset") long nextOffset,
    @JsonProperty("log_path") String logPath) {}
