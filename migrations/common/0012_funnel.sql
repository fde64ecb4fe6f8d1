-- The funnel read from indexes: how long each completed invitation took (for the median), and its stages by
-- organization.
ALTER TABLE invitations ADD COLUMN completed_in_ms BIGINT;
UPDATE invitations SET completed_in_ms = answered_at - sent_at WHERE answered_at IS NOT NULL;
CREATE INDEX invitations_funnel ON invitations (org_id, status, opened_at, started_at, answered_at);
CREATE INDEX invitations_completed_in ON invitations (org_id, completed_in_ms);
CREATE INDEX invitations_interview_completed_in ON invitations (interview_id, completed_in_ms);
