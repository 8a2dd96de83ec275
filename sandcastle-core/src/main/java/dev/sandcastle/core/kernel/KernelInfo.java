package dev.sandcastle.core.kernel;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * What a client may know of a kernel.
 *
 * @param state {@code starting}, {@code idle}, {@code busy} or {@code dead}
 */
public record KernelInfo(String name, String state, @JsonProperty("last_activity") Instant lastActivity,
    @JsonProperty("execution_count") int executionCount) {}
