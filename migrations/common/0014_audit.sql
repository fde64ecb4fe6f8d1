-- The audit log: the security-relevant actions of each organization (sign-ins, settings, users, tokens, share links,
-- deletions), written once and never changed by the application. `client` is a keyed hash of the client's address,
-- never the address itself.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    org_id TEXT,
    at BIGINT NOT NULL,
    user_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at, id);
CREATE INDEX audit_log_org_action_at ON audit_log (org_id, action, at, id);
CREATE INDEX audit_log_org_user_at ON audit_log (org_id, user_id, at, id);
