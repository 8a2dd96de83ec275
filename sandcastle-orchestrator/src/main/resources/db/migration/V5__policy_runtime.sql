-- A policy's container runtime. Portable SQL for H2 and PostgreSQL, like V1-V4.
-- runtime: the docker backend's OCI runtime (e.g. runsc) or the Kubernetes RuntimeClass (e.g. gvisor);
-- '' (every policy stored before this column) is the server's default.

ALTER TABLE policies ADD COLUMN runtime VARCHAR(64) DEFAULT '' NOT NULL;
