-- Webhook endpoints an organization's admins register, and each event's delivery to each endpoint (a job delivers
-- it; this row keeps what happened for the delivery log).
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    url TEXT NOT NULL,
    -- The events wanted, space-separated (invitation.created …).
    events TEXT NOT NULL,
    -- whsec_ + base64 of the key; kept to sign with.
    secret TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    -- Why it was switched off by Candor (a day of failures), if it was.
    disabled_reason TEXT,
    -- The first failure of the current run of failures.
    failing_since BIGINT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    -- The event's data as JSON, fixed when the event happened; every attempt sends the same body.
    payload TEXT NOT NULL,
    -- pending, delivered, failed (retrying), given_up
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    response_code BIGINT,
    duration_ms BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
