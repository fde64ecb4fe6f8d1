-- Health checks prove that a write commits: each node writes its own row and reads it back through another
-- connection.
CREATE TABLE health_probe (
    node TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    checked_at BIGINT NOT NULL
);

-- The invitation an email job is about, so an email that could not be delivered shows on the invitation.
ALTER TABLE jobs ADD COLUMN invitation_id TEXT;
ALTER TABLE invitations ADD COLUMN email_undelivered_at BIGINT;

-- Secrets the whole deployment shares (the key personal and share links are derived from), so every node of a
-- deployment agrees on them without configuration.
CREATE TABLE deployment_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
