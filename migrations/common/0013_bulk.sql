-- Bulk invitations: a list of people (from a CSV file, the API or the candidates list) checked into rows, shown as
-- a preview, then sent by a job that can be cancelled between rows.
CREATE TABLE bulk_sends (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    interview_id TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    -- NULL: each row's own language (or the organization's).
    language TEXT,
    deadline TEXT NOT NULL,
    notify_me BIGINT NOT NULL,
    -- preview, sending, done, cancelled
    status TEXT NOT NULL,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT bulk_sends_idempotency UNIQUE (org_id, idempotency_key)
);

CREATE TABLE bulk_rows (
    bulk_id TEXT NOT NULL REFERENCES bulk_sends(id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    candidate_id TEXT,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    language TEXT,
    -- pending, sent, skipped (an open invitation to the interview already), invalid, not_sent (cancelled)
    outcome TEXT NOT NULL,
    message TEXT,
    invitation_id TEXT,
    CONSTRAINT bulk_rows_line PRIMARY KEY (bulk_id, line)
);
CREATE INDEX bulk_rows_outcome ON bulk_rows (bulk_id, outcome, line);
