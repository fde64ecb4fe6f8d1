-- The review workspace: an interview's scorecard criteria, reviewers' scores per criterion, and a decision per
-- invitation.

-- A criterion reviewers score 1–5. One that was scored is never removed: deleting it sets deleted_at, which keeps its
-- scores out of every average.
CREATE TABLE criteria (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    interview_id TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    rank BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX criteria_interview ON criteria (interview_id, rank);

-- One score per reviewer, invitation and criterion; reviewer as in ratings.
CREATE TABLE scores (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    criterion_id TEXT NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    reviewer TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    score BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT scores_one UNIQUE (invitation_id, criterion_id, reviewer)
);
CREATE INDEX scores_criterion ON scores (criterion_id);

-- The recruiter's decision: undecided, advance, hold, reject; who decided and when.
ALTER TABLE invitations ADD COLUMN decision TEXT NOT NULL DEFAULT 'undecided';
ALTER TABLE invitations ADD COLUMN decided_at BIGINT;
ALTER TABLE invitations ADD COLUMN decided_by TEXT;

-- An interview's responses, newest answers first; the organization's funnel.
CREATE INDEX invitations_interview ON invitations (interview_id, answered_at, id);
CREATE INDEX invitations_org_answered ON invitations (org_id, answered_at);
