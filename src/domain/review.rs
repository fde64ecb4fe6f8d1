//! What reviewers enter: a rating (0.5–5 in halves), a comment, their name on a share link, how long a share link
//! lives.

use super::FieldError;

/// A rating in half stars: 1..=10 stands for 0.5..=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stars(u8);

impl Stars {
    /// Parses `4.5`, `4,5` or `4`; anything outside 0.5–5 or not a half is refused with the reason.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let message = "Choose a rating from 0.5 to 5, in steps of 0.5.";
        let value: f64 = input.trim().replace(',', ".").parse().map_err(|_| FieldError::new(field, message))?;
        let halves = value * 2.0;
        if !value.is_finite() || halves.fract() != 0.0 || !(1.0..=10.0).contains(&halves) {
            return Err(FieldError::new(field, message));
        }
        Ok(Stars(halves as u8))
    }

    pub fn from_halves(halves: i64) -> Option<Self> {
        (1..=10).contains(&halves).then_some(Stars(halves as u8))
    }

    pub fn halves(self) -> i64 {
        self.0.into()
    }

    /// `4.5`, `4`.
    pub fn label(self) -> String {
        if self.0.is_multiple_of(2) { format!("{}", self.0 / 2) } else { format!("{}.5", self.0 / 2) }
    }
}

/// The mean of some ratings, to one decimal (`None` for none).
pub fn average(halves: impl IntoIterator<Item = i64>) -> Option<String> {
    let (sum, n) = halves.into_iter().fold((0i64, 0i64), |(s, n), h| (s + h, n + 1));
    halves_average(sum, n)
}

/// The mean of `n` ratings whose halves add up to `sum`, in stars to one decimal (`None` for none).
pub fn halves_average(sum: i64, n: i64) -> Option<String> {
    // Tenths, halves rounded up (4.25 → 4.3), from integers so no float tie decides.
    (n > 0).then(|| {
        let tenths = (sum * 10 + n) / (2 * n);
        format!("{}.{}", tenths / 10, tenths % 10)
    })
}

pub const COMMENT_MAX_CHARS: usize = 5000;

/// A comment's text: not blank, at most [`COMMENT_MAX_CHARS`] characters, kept as written (trimmed).
pub fn comment_text(field: &str, input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "Write a comment."));
    }
    if text.chars().count() > COMMENT_MAX_CHARS {
        return Err(FieldError::new(field, format!("A comment may be at most {COMMENT_MAX_CHARS} characters.")));
    }
    if !super::fields::multiline_ok(text) {
        return Err(FieldError::new(field, "A comment cannot contain control characters."));
    }
    Ok(text.to_owned())
}

/// The name a colleague gives on a share link: 1–100 characters, no control characters.
pub fn reviewer_name(field: &str, input: &str) -> Result<String, FieldError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(FieldError::new(field, "Enter your name."));
    }
    if name.chars().count() > 100 {
        return Err(FieldError::new(field, "Enter a name of at most 100 characters."));
    }
    if let Some(problem) = super::fields::name_problem(&name) {
        return Err(FieldError::new(field, problem));
    }
    Ok(name)
}

/// How long a share link lives, as offered on the form.
pub const SHARE_DAYS: [i64; 5] = [1, 7, 14, 30, 90];
pub const SHARE_DAYS_DEFAULT: i64 = 14;

/// A whole number from a form that `allowed` accepts, or `message`.
fn whole_number(field: &str, input: &str, allowed: impl Fn(i64) -> bool, message: &str) -> Result<i64, FieldError> {
    input.trim().parse::<i64>().ok().filter(|n| allowed(*n)).ok_or_else(|| FieldError::new(field, message))
}

pub fn share_days(field: &str, input: &str) -> Result<i64, FieldError> {
    whole_number(field, input, |d| SHARE_DAYS.contains(&d), "Choose how long the link works: 1, 7, 14, 30 or 90 days.")
}

/// Days before the deadline date a reminder is sent: 0 (none) to 14.
pub fn reminder_days(field: &str, input: &str) -> Result<i64, FieldError> {
    whole_number(field, input, |d| (0..=14).contains(&d), "Enter a number of days from 0 (no reminder) to 14.")
}

/// Months after the deadline recordings are kept: 1 to 120.
pub fn retention_months(field: &str, input: &str) -> Result<i64, FieldError> {
    whole_number(field, input, |m| (1..=120).contains(&m), "Enter a number of months from 1 to 120.")
}

/// Months without activity after which a candidate is erased: blank (never) or 1 to 120.
pub fn candidate_retention_months(field: &str, input: &str) -> Result<Option<i64>, FieldError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    whole_number(field, input, |m| (1..=120).contains(&m), "Leave empty to keep candidates, or enter 1 to 120 months.")
        .map(Some)
}

/// A link to a privacy notice: an absolute `https://` (or `http://`) address, at most 500 characters.
pub fn privacy_url(field: &str, input: &str) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let ok = s.chars().count() <= 500
        && url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    if !ok {
        return Err(FieldError::new(field, "Enter a full web address starting with https://."));
    }
    Ok(Some(s.to_owned()))
}

/// The recruiter's decision on an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    #[default]
    Undecided,
    Advance,
    Hold,
    Reject,
}

impl Decision {
    pub const ALL: [Decision; 4] = [Decision::Undecided, Decision::Advance, Decision::Hold, Decision::Reject];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }

    /// A form's decision, or the field's message.
    pub fn parse_field(field: &str, input: &str) -> Result<Self, FieldError> {
        Self::parse(input).ok_or_else(|| FieldError::new(field, "Choose undecided, advance, hold or reject."))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Undecided => "undecided",
            Decision::Advance => "advance",
            Decision::Hold => "hold",
            Decision::Reject => "reject",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Undecided => "Undecided",
            Decision::Advance => "Advance",
            Decision::Hold => "Hold",
            Decision::Reject => "Reject",
        }
    }
}

/// A scorecard score: a whole number 1–5.
pub fn score(field: &str, input: &str) -> Result<i64, FieldError> {
    whole_number(field, input, |s| (1..=5).contains(&s), "Choose a score from 1 to 5.")
}

/// At most this many criteria on one interview's scorecard.
pub const CRITERIA_MAX: usize = 10;

/// A criterion's name (1–100 characters) and optional description (at most 500), as entered.
pub fn criterion(name: &str, description: &str) -> Result<(String, Option<String>), super::FieldErrors> {
    let mut errors = super::FieldErrors::new();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errors.push("name", "Enter the criterion's name, e.g. Communication.");
    } else if name.chars().count() > 100 {
        errors.push("name", "Enter a name of at most 100 characters.");
    } else if let Some(problem) = super::fields::name_problem(&name) {
        errors.push("name", problem);
    }
    let description = description.trim();
    if description.chars().count() > 500 {
        errors.push("description", "A description may be at most 500 characters.");
    } else if !super::fields::multiline_ok(description) {
        errors.push("description", "A description cannot contain control characters.");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((name, (!description.is_empty()).then(|| description.to_owned())))
}

/// An average of whole scores, to one decimal (`None` for none), from integers like [`average`].
pub fn score_average(sum: i64, n: i64) -> Option<String> {
    (n > 0).then(|| {
        let tenths = (sum * 20 + n) / (2 * n);
        format!("{}.{}", tenths / 10, tenths % 10)
    })
}

/// A cell for a spreadsheet: text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) gets a leading apostrophe, so it is shown as typed.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_halves_from_half_to_five() {
        assert_eq!(Stars::parse("r", "0.5").unwrap().halves(), 1);
        assert_eq!(Stars::parse("r", "5").unwrap().halves(), 10);
        assert_eq!(Stars::parse("r", " 3,5 ").unwrap().label(), "3.5");
        assert_eq!(Stars::parse("r", "4").unwrap().label(), "4");
        for bad in ["0", "5.5", "0.3", "-1", "", "abc", "NaN", "inf", "2.25"] {
            let e = Stars::parse("rating", bad).unwrap_err();
            assert_eq!(e.field, "rating");
            assert_eq!(e.message, "Choose a rating from 0.5 to 5, in steps of 0.5.", "{bad}");
        }
        assert_eq!(average([8, 9]), Some("4.3".into()));
        assert_eq!(average([]), None);
        assert_eq!(average([10]), Some("5.0".into()));
        assert_eq!(average([1, 2, 2]), Some("0.8".into()));
    }

    #[test]
    fn comments_and_names() {
        assert!(comment_text("c", "   ").is_err());
        assert_eq!(comment_text("c", " fine \n").unwrap(), "fine");
        assert!(comment_text("c", &"x".repeat(COMMENT_MAX_CHARS + 1)).is_err());
        assert_eq!(reviewer_name("n", "  Bea   Berg ").unwrap(), "Bea Berg");
        assert!(reviewer_name("n", "").is_err());
        assert!(share_days("d", "14").is_ok());
        assert!(share_days("d", "15").is_err());
    }

    #[test]
    fn scores_decisions_and_criteria() {
        assert_eq!(score("s", " 3 ").unwrap(), 3);
        for bad in ["0", "6", "2.5", "", "x"] {
            assert_eq!(score("s", bad).unwrap_err().message, "Choose a score from 1 to 5.", "{bad}");
        }
        assert_eq!(Decision::parse("advance"), Some(Decision::Advance));
        assert_eq!(Decision::parse("Advance"), None);
        assert!(Decision::parse_field("decision", "maybe").is_err());
        assert_eq!(score_average(7, 2), Some("3.5".into()));
        assert_eq!(score_average(10, 3), Some("3.3".into()));
        assert_eq!(score_average(0, 0), None);
        assert_eq!(criterion("  Team   work ", " ").unwrap(), ("Team work".into(), None));
        assert!(criterion("", "").is_err());
        assert!(criterion("x", &"d".repeat(501)).is_err());
    }

    #[test]
    fn formulas_are_neutralized() {
        for bad in ["=1+1", "+46 70", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        assert_eq!(spreadsheet_safe("Åsa Öberg"), "Åsa Öberg");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
