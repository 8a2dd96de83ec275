-- Host paths a policy shows read-only in its workspaces (local backend), as a JSON array of strings.
-- Portable SQL for H2 and PostgreSQL, like V1-V5; '[]' (every policy stored before this column) adds none.

ALTER TABLE policies ADD COLUMN read_only_paths VARCHAR(65536) DEFAULT '[]' NOT NULL;
