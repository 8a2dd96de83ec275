package dev.sandcastle.core.exec;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One line of the process list. */
public record ExecutionSummary(
    String id,
    String command,
    String status,
    @JsonProperty("exit_code") Integer exitCode,
    @JsonProperty("log_path") String logPath) {}
