package dev.sandcastle.core.pty;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A terminal as clients see it, in the Open Terminal wire shape plus what we add.
 *
 * @param id unguessable; names the terminal in the WebSocket path
 * @param createdAt ISO-8601 UTC ({@code 2025-07-22T14:30:12.123456Z})
 * @param pid the shell's pid as the workspace sees it
 * @param clients how many clients are attached now (ours)
 */
public record TerminalInfo(
    String id, @JsonProperty("created_at") String createdAt, long pid, int clients) {}
