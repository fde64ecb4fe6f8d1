CREATE TABLE interviews (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    intro_text TEXT,
    outro_text TEXT,
    show_questions_upfront BIGINT NOT NULL,
    audio_only BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX interviews_org ON interviews (org_id, name);

CREATE TABLE questions (
    id TEXT PRIMARY KEY,
    interview_id TEXT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    rank BIGINT NOT NULL,
    text TEXT NOT NULL,
    instructions TEXT,
    max_answer_seconds BIGINT NOT NULL,
    max_takes BIGINT NOT NULL,
    think_seconds BIGINT,
    notes_allowed BIGINT NOT NULL
);
CREATE INDEX questions_interview ON questions (interview_id, rank);
