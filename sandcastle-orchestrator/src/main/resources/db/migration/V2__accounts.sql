-- Local accounts (sign-up and sign-in). Portable SQL for H2 and PostgreSQL, like V1.
-- email is stored lower-cased; role is 'admin' or 'user'; password_hash is PBKDF2's self-describing form.

CREATE TABLE accounts (
  id            VARCHAR(36)  NOT NULL PRIMARY KEY,
  email         VARCHAR(320) NOT NULL,
  name          VARCHAR(256) NOT NULL,
  password_hash VARCHAR(512) NOT NULL,
  role          VARCHAR(16)  NOT NULL,
  created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT accounts_email_key UNIQUE (email),
  CONSTRAINT accounts_role CHECK (role IN ('admin', 'user'))
);

CREATE INDEX accounts_created_at ON accounts (created_at);
