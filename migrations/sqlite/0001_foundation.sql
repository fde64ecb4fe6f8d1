CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    timezone TEXT NOT NULL,
    language TEXT NOT NULL,
    logo BLOB,
    logo_type TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name_key)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email_key)
);
CREATE INDEX users_org ON users (org_id, name);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

-- rid: SQLite's row id made explicit, so the trigram index below keeps pointing at the right rows after VACUUM.
CREATE TABLE candidates (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    phone TEXT,
    notes TEXT,
    -- Set for candidates created by a CSV import: who imported them. Their timeline's "imported" event is read from
    -- here rather than stored as a row per candidate, which keeps large imports fast.
    imported_by TEXT,
    first_key TEXT NOT NULL,
    last_key TEXT NOT NULL,
    full_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT candidates_org_id UNIQUE (org_id, id),
    CONSTRAINT candidates_org_email UNIQUE (org_id, email_key)
);
CREATE INDEX candidates_last ON candidates (org_id, last_key, first_key, id);
CREATE INDEX candidates_full ON candidates (org_id, full_key);

CREATE VIRTUAL TABLE candidate_trigrams USING fts5(full_key, content='candidates', content_rowid='rid', tokenize='trigram');
CREATE TRIGGER candidates_ai AFTER INSERT ON candidates BEGIN
    INSERT INTO candidate_trigrams(rowid, full_key) VALUES (new.rid, new.full_key);
END;
CREATE TRIGGER candidates_ad AFTER DELETE ON candidates BEGIN
    INSERT INTO candidate_trigrams(candidate_trigrams, rowid, full_key) VALUES ('delete', old.rid, old.full_key);
END;
CREATE TRIGGER candidates_au AFTER UPDATE OF full_key ON candidates BEGIN
    INSERT INTO candidate_trigrams(candidate_trigrams, rowid, full_key) VALUES ('delete', old.rid, old.full_key);
    INSERT INTO candidate_trigrams(rowid, full_key) VALUES (new.rid, new.full_key);
END;

CREATE TABLE candidate_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX candidate_events_candidate ON candidate_events (candidate_id, created_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    org_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, lease_until);

CREATE TABLE sent_mail (
    id TEXT PRIMARY KEY,
    org_id TEXT,
    job_id TEXT,
    mail_to TEXT NOT NULL,
    mail_cc TEXT NOT NULL,
    mail_bcc TEXT NOT NULL,
    subject TEXT NOT NULL,
    html TEXT NOT NULL,
    text_body TEXT NOT NULL,
    transport TEXT NOT NULL,
    eml_path TEXT,
    sent_at BIGINT NOT NULL
);
CREATE INDEX sent_mail_org ON sent_mail (org_id, sent_at);
