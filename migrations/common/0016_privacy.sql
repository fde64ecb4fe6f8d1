-- The consent a candidate gave on the landing page, with the exact text shown.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    -- What the candidate read and agreed to, word for word, and a short hash of it naming that version.
    text TEXT NOT NULL,
    version TEXT NOT NULL,
    privacy_url TEXT,
    retention_months BIGINT NOT NULL,
    -- A keyed hash of the client's address.
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX consents_candidate ON consents (org_id, candidate_id);
CREATE INDEX consents_invitation ON consents (invitation_id);

-- An organization's own privacy notice, per language of the candidates' pages.
CREATE TABLE privacy_notices (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, language)
);

-- Personal links whose invitation was erased or deleted (the hash only): they get the closed-link page, not a 404.
CREATE TABLE closed_links (
    token_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    language TEXT NOT NULL,
    closed_at BIGINT NOT NULL
);

-- Candidates with no activity for this many months are erased by upkeep; NULL: never.
ALTER TABLE organizations ADD COLUMN candidate_retention_months BIGINT;
ALTER TABLE organizations ADD COLUMN require_two_factor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX candidates_org_updated ON candidates (org_id, updated_at);
CREATE INDEX candidate_events_org_candidate ON candidate_events (org_id, candidate_id, created_at);

-- Two-factor sign-in (TOTP): the shared secret (base32) once confirmed, and the last time step used (a code is
-- good once).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
