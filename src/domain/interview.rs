//! A video interview's rules: its texts, its ordered questions and their limits.

use super::{FieldError, FieldErrors};

/// Answer time per question, in seconds: 30 s – 10 min.
pub const ANSWER_SECONDS_MIN: u32 = 30;
pub const ANSWER_SECONDS_MAX: u32 = 600;
/// Takes per question.
pub const TAKES_MIN: u32 = 1;
pub const TAKES_MAX: u32 = 5;
/// Time to think, when limited, in seconds.
pub const THINK_SECONDS_MAX: u32 = 600;
/// Questions per interview.
pub const QUESTIONS_MIN: usize = 1;
pub const QUESTIONS_MAX: usize = 20;
/// The most recording an interview may ask for: the sum over questions of takes × answer time (2 hours).
pub const RECORDING_CAP_SECONDS: u32 = 7200;
pub const INTERVIEW_NAME_MAX: usize = 100;
pub const INTERVIEW_TITLE_MAX: usize = 200;
pub const INTERVIEW_TEXT_MAX: usize = 5000;
pub const QUESTION_TEXT_MAX: usize = 1000;
pub const INSTRUCTIONS_MAX: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionSpec {
    pub text: String,
    pub instructions: Option<String>,
    pub max_answer_seconds: u32,
    pub max_takes: u32,
    /// `None`: no limit — recording starts when the candidate is ready.
    pub think_seconds: Option<u32>,
    pub notes_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewSpec {
    pub name: String,
    pub title: String,
    pub intro: Option<String>,
    pub outro: Option<String>,
    pub show_questions_upfront: bool,
    pub audio_only: bool,
    pub questions: Vec<QuestionSpec>,
}

/// A question as it comes from a form or the API, before the rules are checked.
#[derive(Debug, Clone, Default)]
pub struct QuestionInput {
    pub text: String,
    pub instructions: String,
    pub max_answer_seconds: Option<i64>,
    pub max_takes: Option<i64>,
    pub think_seconds: Option<i64>,
    pub notes_allowed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct InterviewInput {
    pub name: String,
    pub title: String,
    pub intro: String,
    pub outro: String,
    pub show_questions_upfront: bool,
    pub audio_only: bool,
    pub questions: Vec<QuestionInput>,
}

/// Why the questions of an answered interview cannot change.
pub const ANSWERED_QUESTIONS_FIXED: &str = "Candidates have already answered these questions, so their texts and limits \
    cannot change (the answers would no longer match them). The name, title, intro and outro can; to change the \
    questions, clone the interview and invite with the copy.";

/// An interview's name alone (as a copy's is given): 1–100 characters on one line, something visible.
pub fn interview_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > INTERVIEW_NAME_MAX {
        return Err(FieldError::new(field, "Give the copy a name of 1 to 100 characters."));
    }
    if let Some(problem) = super::fields::name_problem(s) {
        return Err(FieldError::new(field, problem));
    }
    Ok(s.to_owned())
}

fn text(field: String, raw: &str, max: usize, required: Option<&str>) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return match required {
            Some(message) => Err(FieldError::new(field, message)),
            None => Ok(None),
        };
    }
    if s.chars().count() > max {
        return Err(FieldError::new(field, format!("At most {max} characters.")));
    }
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, "Control characters are not allowed."));
    }
    Ok(Some(s.to_owned()))
}

impl InterviewInput {
    /// Checks every rule, reporting each problem on its field (`questions[2].max_takes` for a question's).
    pub fn parse(&self) -> Result<InterviewSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name =
            errors.check(text("name".into(), &self.name, INTERVIEW_NAME_MAX, Some("Give the interview a name.")));
        let title = errors.check(text(
            "title".into(),
            &self.title,
            INTERVIEW_TITLE_MAX,
            Some("Give the title candidates will see."),
        ));
        let intro = errors.check(text("intro_text".into(), &self.intro, INTERVIEW_TEXT_MAX, None));
        let outro = errors.check(text("outro_text".into(), &self.outro, INTERVIEW_TEXT_MAX, None));
        if self.questions.len() < QUESTIONS_MIN {
            errors.push("questions", "Add at least one question.");
        }
        if self.questions.len() > QUESTIONS_MAX {
            errors.push("questions", format!("An interview has at most {QUESTIONS_MAX} questions."));
        }
        let mut questions = Vec::new();
        for (i, q) in self.questions.iter().enumerate() {
            let f = |name: &str| format!("questions[{i}].{name}");
            let text_v = errors.check(text(f("text"), &q.text, QUESTION_TEXT_MAX, Some("Write the question.")));
            let instructions = errors.check(text(f("instructions"), &q.instructions, INSTRUCTIONS_MAX, None));
            let answer = match q.max_answer_seconds {
                Some(s) if (ANSWER_SECONDS_MIN as i64..=ANSWER_SECONDS_MAX as i64).contains(&s) => Some(s as u32),
                _ => {
                    errors.push(f("max_answer_seconds"), "The answer time is from 30 seconds to 10 minutes.");
                    None
                }
            };
            let takes = match q.max_takes {
                Some(t) if (TAKES_MIN as i64..=TAKES_MAX as i64).contains(&t) => Some(t as u32),
                _ => {
                    errors.push(f("max_takes"), "The number of takes is from 1 to 5.");
                    None
                }
            };
            let think = match q.think_seconds {
                None => Some(None),
                Some(t) if (0..=THINK_SECONDS_MAX as i64).contains(&t) => Some(Some(t as u32)),
                Some(_) => {
                    errors.push(f("think_seconds"), "Time to think is up to 10 minutes, or no limit.");
                    None
                }
            };
            if self.show_questions_upfront && matches!(q.think_seconds, Some(t) if t > 0) {
                errors.push(
                    f("think_seconds"),
                    "With the questions shown upfront, candidates have already read them, so a time to think would \
                     not be fair: set it to no limit, or turn off showing questions upfront.",
                );
            }
            if let (
                Some(Some(text)),
                Some(instructions),
                Some(max_answer_seconds),
                Some(max_takes),
                Some(think_seconds),
            ) = (text_v, instructions, answer, takes, think)
            {
                questions.push(QuestionSpec {
                    text,
                    instructions,
                    max_answer_seconds,
                    max_takes,
                    think_seconds,
                    notes_allowed: q.notes_allowed,
                });
            }
        }
        let total: u32 = questions.iter().map(|q| q.max_takes * q.max_answer_seconds).sum();
        if total > RECORDING_CAP_SECONDS {
            errors.push(
                "questions",
                format!(
                    "Takes × answer time adds up to {} minutes; the most an interview may ask for is {} minutes.",
                    total.div_ceil(60),
                    RECORDING_CAP_SECONDS / 60
                ),
            );
        }
        match (name, title, intro, outro) {
            (Some(Some(name)), Some(Some(title)), Some(intro), Some(outro)) if errors.is_empty() => Ok(InterviewSpec {
                name,
                title,
                intro,
                outro,
                show_questions_upfront: self.show_questions_upfront,
                audio_only: self.audio_only,
                questions,
            }),
            _ => Err(errors),
        }
    }
}

/// The interview every new organization gets, so a recruiter can invite themselves at once.
pub fn demo_interview() -> InterviewSpec {
    let q = |text: &str, instructions: &str, seconds: u32, think: Option<u32>| QuestionSpec {
        text: text.to_owned(),
        instructions: Some(instructions.to_owned()),
        max_answer_seconds: seconds,
        max_takes: 3,
        think_seconds: think,
        notes_allowed: false,
    };
    InterviewSpec {
        name: "Getting to know you".to_owned(),
        title: "Getting to know you".to_owned(),
        intro: Some(
            "Thank you for taking the time. There are five short questions. You can practise first, and you have \
             three takes for each answer. Speak naturally — there are no trick questions."
                .to_owned(),
        ),
        outro: Some("Thank you! Your answers have been sent. We will be in touch soon.".to_owned()),
        show_questions_upfront: false,
        audio_only: false,
        questions: vec![
            q(
                "Tell us briefly about yourself.",
                "Your background and what you do now, in a minute or two.",
                120,
                Some(30),
            ),
            q("Why are you interested in this role?", "What drew you to it, and what you hope to do.", 120, Some(30)),
            q(
                "Describe a piece of work you are proud of.",
                "What was the situation, what did you do, and what came of it?",
                180,
                Some(45),
            ),
            q(
                "How do you like to work with others?",
                "An example from a team you have been part of helps.",
                120,
                Some(30),
            ),
            q("Is there anything else we should know?", "Questions you have for us are welcome too.", 90, None),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(seconds: i64, takes: i64, think: Option<i64>) -> QuestionInput {
        QuestionInput {
            text: "Why?".into(),
            instructions: String::new(),
            max_answer_seconds: Some(seconds),
            max_takes: Some(takes),
            think_seconds: think,
            notes_allowed: false,
        }
    }

    fn input(questions: Vec<QuestionInput>) -> InterviewInput {
        InterviewInput { name: "Dev".into(), title: "Developer".into(), questions, ..Default::default() }
    }

    #[test]
    fn limits_are_checked_per_question() {
        assert!(input(vec![question(120, 3, Some(30))]).parse().is_ok());
        let errors = input(vec![question(20, 0, Some(601)), question(601, 6, None)]).parse().unwrap_err();
        for field in [
            "questions[0].max_answer_seconds",
            "questions[0].max_takes",
            "questions[0].think_seconds",
            "questions[1].max_answer_seconds",
            "questions[1].max_takes",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        assert!(input(vec![]).parse().unwrap_err().get("questions").is_some());
        assert!(input((0..21).map(|_| question(30, 1, None)).collect()).parse().is_err());
    }

    #[test]
    fn the_recording_cap_and_upfront_rule() {
        // 20 × 5 takes × 80 s = 8000 s > 7200 s.
        let errors = input((0..20).map(|_| question(80, 5, None)).collect()).parse().unwrap_err();
        assert!(errors.get("questions").unwrap().contains("adds up to 134 minutes"));
        let mut upfront = input(vec![question(60, 1, Some(30)), question(60, 1, None), question(60, 1, Some(0))]);
        upfront.show_questions_upfront = true;
        let errors = upfront.parse().unwrap_err();
        assert!(errors.get("questions[0].think_seconds").unwrap().contains("upfront"));
        assert!(errors.get("questions[1].think_seconds").is_none());
        assert!(errors.get("questions[2].think_seconds").is_none());
    }

    #[test]
    fn the_demo_interview_follows_the_rules() {
        let demo = demo_interview();
        assert_eq!(demo.questions.len(), 5);
        let total: u32 = demo.questions.iter().map(|q| q.max_takes * q.max_answer_seconds).sum();
        assert!(total <= RECORDING_CAP_SECONDS);
    }
}
