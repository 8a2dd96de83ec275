package dev.sandcastle.orchestrator.backend.local;

import java.nio.file.Path;

/** The Linux identity and home directory a tenant's workspace runs as. */
public record Account(String name, int uid, int gid, Path home) {}
