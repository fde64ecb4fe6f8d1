-- A last take whose upload broke off (the page closed while recording) is kept with the bytes that arrived; this
-- says when it was closed that way, so reviewers know the answer ends early.
ALTER TABLE takes ADD COLUMN interrupted_at BIGINT;
