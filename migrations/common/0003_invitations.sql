CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    candidate_id TEXT NOT NULL,
    interview_id TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES users(id),
    email TEXT NOT NULL,
    language TEXT NOT NULL,
    -- The answer deadline, a date (inclusive), and the first instant past it in the organization's time zone.
    deadline TEXT NOT NULL,
    closes_at BIGINT NOT NULL,
    bcc_me BIGINT NOT NULL,
    notify_me BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- SHA-256 of the personal link's token; the token itself is never stored.
    token_hash TEXT NOT NULL,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    started_at BIGINT,
    answered_at BIGINT,
    CONSTRAINT invitations_token UNIQUE (token_hash),
    CONSTRAINT invitations_idempotency UNIQUE (org_id, idempotency_key)
);
CREATE INDEX invitations_org_created ON invitations (org_id, id);
CREATE INDEX invitations_org_deadline ON invitations (org_id, closes_at, id);
CREATE INDEX invitations_closing ON invitations (status, closes_at);
CREATE INDEX invitations_candidate ON invitations (candidate_id);
