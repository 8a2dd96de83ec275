-- Chat conversations of the web front end. Portable SQL for H2 and PostgreSQL, like V1 and V2.
-- owner is the user id (a local account's id or an Open WebUI user id); absent title and model are ''.
-- A message's role is user, assistant, system or tool; extra is JSON text ('' when none): tool calls, executions.

CREATE TABLE conversations (
  id         VARCHAR(36)  NOT NULL PRIMARY KEY,
  owner      VARCHAR(256) NOT NULL,
  title      VARCHAR(512) DEFAULT '' NOT NULL,
  model      VARCHAR(256) DEFAULT '' NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX conversations_owner_updated ON conversations (owner, updated_at);

CREATE TABLE messages (
  id              VARCHAR(36) NOT NULL PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL,
  position        INTEGER     NOT NULL,
  role            VARCHAR(16) NOT NULL,
  content         VARCHAR(1000000) DEFAULT '' NOT NULL,
  extra           VARCHAR(1000000) DEFAULT '' NOT NULL,
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
  CONSTRAINT messages_position_key UNIQUE (conversation_id, position),
  CONSTRAINT messages_role CHECK (role IN ('user', 'assistant', 'system', 'tool'))
);
