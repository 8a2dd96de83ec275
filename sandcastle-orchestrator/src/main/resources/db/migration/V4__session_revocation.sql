-- Revocable sessions. Portable SQL for H2 and PostgreSQL, like V1-V3.
-- revoked_sessions: session tokens signed out one by one, by their jti; a row is needed only until
-- the token expires (expires_at, the token's exp) and is pruned after that.
-- accounts.sessions_valid_after: "sign out everywhere"; session tokens issued (iat) before it are
-- refused. NULL when the account never did it.

CREATE TABLE revoked_sessions (
  jti        VARCHAR(64) NOT NULL PRIMARY KEY,
  account_id VARCHAR(36) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT revoked_sessions_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
);

CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

ALTER TABLE accounts ADD COLUMN sessions_valid_after TIMESTAMP WITH TIME ZONE;
