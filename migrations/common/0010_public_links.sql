-- A public link per interview: anyone with it registers (first name, last name, email) and gets a personal link by
-- email. Its token is derived from the id with the server's key; only the token's SHA-256 is stored.
CREATE TABLE public_links (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    interview_id TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    enabled BIGINT NOT NULL,
    -- The last day registrations are taken (inclusive, the organization's time zone); NULL: no closing date.
    closes_on TEXT,
    language TEXT NOT NULL,
    -- A code people must type to register, as the recruiter published it; NULL: none.
    access_code TEXT,
    -- Days a registrant gets to answer (the deadline never passes the closing date).
    answer_days BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT public_links_token UNIQUE (token_hash),
    CONSTRAINT public_links_interview UNIQUE (interview_id)
);

-- Registrations that were taken, for the per-address limit (the client address only as a keyed hash).
CREATE TABLE public_registrations (
    id TEXT PRIMARY KEY,
    link_id TEXT NOT NULL REFERENCES public_links(id) ON DELETE CASCADE,
    client_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX public_registrations_client ON public_registrations (client_hash, created_at);

-- How an invitation came: 'invited' by a recruiter, or 'public' through a public link.
ALTER TABLE invitations ADD COLUMN source TEXT NOT NULL DEFAULT 'invited';
