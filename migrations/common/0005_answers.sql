-- The candidate's side: when the personal link was first opened and consent given; answers and their takes; the
-- bytes of each take as uploaded (tus), segment by segment.
ALTER TABLE invitations ADD COLUMN opened_at BIGINT;
ALTER TABLE invitations ADD COLUMN consented_at BIGINT;

CREATE TABLE answers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id),
    -- Takes begun so far (an interrupted take still counts).
    takes_used BIGINT NOT NULL,
    -- The take the candidate kept; NULL until then.
    kept_take_id TEXT,
    notes TEXT,
    started_at BIGINT NOT NULL,
    kept_at BIGINT,
    CONSTRAINT answers_question UNIQUE (invitation_id, question_id)
);
CREATE INDEX answers_question_id ON answers (question_id);

-- One take = one tus upload. status: uploading → complete → kept | discarded (or discarded while uploading).
CREATE TABLE takes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- NULL while the length is deferred (Upload-Defer-Length).
    upload_length BIGINT,
    upload_offset BIGINT NOT NULL,
    max_bytes BIGINT NOT NULL,
    -- webm | mp4, sniffed from the first bytes.
    container TEXT,
    -- A PATCH in progress holds the lock until lock_until (renewed while it streams).
    lock_owner TEXT,
    lock_until BIGINT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    completed_at BIGINT,
    CONSTRAINT takes_number UNIQUE (answer_id, number)
);
CREATE INDEX takes_invitation ON takes (invitation_id);
CREATE INDEX takes_expiry ON takes (status, expires_at);

-- The stored pieces of a take, in order: each PATCH writes one object.
CREATE TABLE take_segments (
    take_id TEXT NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    start_offset BIGINT NOT NULL,
    length BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    PRIMARY KEY (take_id, start_offset)
);
