-- API tokens get a name people choose, shown on the tokens page with when each was made and last used.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
