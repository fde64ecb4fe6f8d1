-- Reviewing completed interviews: a take's duration once rewritten for seeking; ratings and comments by reviewers;
-- share links for colleagues without an account; reminders; how long recordings are kept.
ALTER TABLE takes ADD COLUMN duration_ms BIGINT;
ALTER TABLE takes ADD COLUMN remuxed_at BIGINT;

-- Days before the deadline date a reminder is sent (0 = none); months after the deadline recordings are kept.
ALTER TABLE organizations ADD COLUMN reminder_days BIGINT NOT NULL DEFAULT 2;
ALTER TABLE organizations ADD COLUMN retention_months BIGINT NOT NULL DEFAULT 12;

ALTER TABLE invitations ADD COLUMN reminded_at BIGINT;
ALTER TABLE invitations ADD COLUMN media_deleted_at BIGINT;
CREATE INDEX invitations_retention ON invitations (media_deleted_at, closes_at);

-- A share link: read-only access to one invitation's answers until expires_at (or revoked_at). Its token is derived
-- from the id with the server's key; only the token's SHA-256 is stored.
CREATE TABLE share_links (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    allow_rating BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT share_links_token UNIQUE (token_hash)
);
CREATE INDEX share_links_invitation ON share_links (invitation_id);

-- One rating per reviewer per subject: subject is a question id, or 'overall' for the interview as a whole.
-- reviewer is 'user:<id>' or 'share:<link id>:<name in lower case>'.
CREATE TABLE ratings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    -- Half stars: 1..10 stands for 0.5..5.
    halves BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT ratings_one UNIQUE (invitation_id, subject, reviewer)
);

CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX comments_invitation ON comments (invitation_id, created_at);
