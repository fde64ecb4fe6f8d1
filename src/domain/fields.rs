use super::FieldError;
use std::fmt;

/// Longest accepted person name part, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest accepted email address, in bytes (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;
/// Longest accepted phone number, in characters.
pub const PHONE_MAX_CHARS: usize = 32;
/// Longest accepted candidate notes, in characters.
pub const NOTES_MAX_CHARS: usize = 5000;
/// Password length bounds, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 256;

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control())
}

/// Characters that show nothing: zero-width spaces and joiners, bidirectional marks, the byte-order mark, soft
/// hyphens and blank fillers.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Bidirectional embedding, override and isolate controls: they reorder the text around them, so a name could show
/// as something else than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What a one-line name (a person's, an organization's, a reviewer's, an interview's) must be beyond its length: no
/// control or bidirectional control characters, and something visible.
pub fn name_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(|c| c.is_control()) {
        return Some("A name cannot contain control characters.");
    }
    if s.chars().any(is_bidi_control) {
        return Some("A name cannot contain text-direction control characters.");
    }
    if !s.chars().any(|c| !c.is_whitespace() && !is_invisible(c)) {
        return Some("A name needs visible characters.");
    }
    None
}

/// Whether multi-line text (notes, comments, intros) is free of control characters other than line breaks and tabs.
pub fn multiline_ok(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A syntactically valid email address; the domain part is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "Enter an email address."));
        }
        if s.len() > EMAIL_MAX_LEN {
            return Err(FieldError::new(field, format!("An email address has at most {EMAIL_MAX_LEN} characters.")));
        }
        let invalid = || FieldError::new(field, "Enter a valid email address, like name@example.com.");
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || s.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\')
            })
        {
            return Err(invalid());
        }
        let value = format!("{local}@{}", domain.to_lowercase());
        // The address must also be one the mail layer can put in a header.
        value.parse::<lettre::Address>().map_err(|_| invalid())?;
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key two addresses are compared by: the whole address lower-cased.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A first or last name: trimmed, 1..=100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(FieldError::new(field, "This name is required."));
        }
        if s.chars().count() > NAME_MAX_CHARS {
            return Err(FieldError::new(field, format!("A name has at most {NAME_MAX_CHARS} characters.")));
        }
        if let Some(problem) = name_problem(&s) {
            return Err(FieldError::new(field, problem));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional phone number: digits, spaces and `+ - ( ) .`, at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse_optional(field: &'static str, raw: Option<&str>) -> Result<Option<Self>, FieldError> {
        let s = raw.map(str::trim).unwrap_or("");
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > PHONE_MAX_CHARS {
            return Err(FieldError::new(field, format!("A phone number has at most {PHONE_MAX_CHARS} characters.")));
        }
        if !s.chars().any(|c| c.is_ascii_digit())
            || !s.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'))
        {
            return Err(FieldError::new(field, "A phone number has digits, spaces and + - ( ) only."));
        }
        Ok(Some(Self(s.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free-text notes, at most 5000 characters (line breaks and tabs allowed).
pub fn parse_notes(field: &'static str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let s = raw.map(str::trim).unwrap_or("");
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > NOTES_MAX_CHARS {
        return Err(FieldError::new(field, format!("Notes have at most {NOTES_MAX_CHARS} characters.")));
    }
    if !multiline_ok(s) {
        return Err(FieldError::new(field, "Notes cannot contain control characters."));
    }
    Ok(Some(s.to_owned()))
}

/// An organization's name: trimmed, 1..=100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(FieldError::new(field, "Enter the organization's name."));
        }
        if s.chars().count() > NAME_MAX_CHARS || has_control(&s) {
            return Err(FieldError::new(field, format!("A name has at most {NAME_MAX_CHARS} printable characters.")));
        }
        if let Some(problem) = name_problem(&s) {
            return Err(FieldError::new(field, problem));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key organizations are looked up by from the command line: case-insensitive.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An IANA time zone name known to the bundled time zone database, e.g. `Europe/Helsinki`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Only the names of the list people choose from ([`TimeZoneName::all`]), matched without regard to case and
    /// kept in the list's spelling: `europe/helsinki` is `Europe/Helsinki`; `Etc/GMT+5` or `EST5EDT` are refused
    /// rather than replaced by another zone on the next save of the settings.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let refused = || FieldError::new(field, "Choose a time zone from the list, like Europe/Helsinki.");
        if s.is_empty() || s.len() > 64 {
            return Err(refused());
        }
        Self::all_cached().iter().find(|n| n.eq_ignore_ascii_case(s)).map(|n| Self(n.clone())).ok_or_else(refused)
    }

    fn all_cached() -> &'static [String] {
        static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        ALL.get_or_init(Self::all)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every time zone name a person can choose from, sorted.
    pub fn all() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| {
                n.contains('/')
                    && !n.starts_with("Etc/")
                    && !n.starts_with("SystemV/")
                    && !n.starts_with("posix/")
                    && !n.starts_with("right/")
            })
            .collect();
        names.push("UTC".to_owned());
        names.sort();
        names.dedup();
        names
    }
}

/// A user-interface language Candor is translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    En,
    Fi,
    Sv,
    El,
    De,
    Fr,
    Es,
}

impl Language {
    pub const ALL: [Language; 7] =
        [Language::En, Language::Fi, Language::Sv, Language::El, Language::De, Language::Fr, Language::Es];

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == raw.trim())
            .ok_or_else(|| FieldError::new(field, "Choose one of the offered languages."))
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fi => "fi",
            Language::Sv => "sv",
            Language::El => "el",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Es => "es",
        }
    }

    /// The language's name in that language, as a person looks for it in a list.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Fi => "Suomi",
            Language::Sv => "Svenska",
            Language::El => "Ελληνικά",
            Language::De => "Deutsch",
            Language::Fr => "Français",
            Language::Es => "Español",
        }
    }
}

/// What a user may do in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Recruiter,
}

impl Role {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "admin" => Ok(Role::Admin),
            "recruiter" => Ok(Role::Recruiter),
            _ => Err(FieldError::new(field, "Choose admin or recruiter.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
        }
    }
}

/// A new password: 10..=256 characters. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n < PASSWORD_MIN_CHARS {
            return Err(FieldError::new(field, format!("Use at least {PASSWORD_MIN_CHARS} characters.")));
        }
        if n > PASSWORD_MAX_CHARS {
            return Err(FieldError::new(field, format!("Use at most {PASSWORD_MAX_CHARS} characters.")));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(EmailAddress::parse("e", " Aino@Example.FI ").unwrap().as_str(), "Aino@example.fi");
        assert_eq!(EmailAddress::parse("e", "Aino@Example.FI").unwrap().key(), "aino@example.fi");
        for bad in ["", "a", "a@b", "a@@b.fi", "a b@c.fi", "<a@b.fi>", "a@b..fi", "a@.fi", "x@y.fi\r\nBcc: z@z.fi"] {
            assert!(EmailAddress::parse("e", bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse("e", &long).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("n", "  Aino   Maria ").unwrap().as_str(), "Aino Maria");
        assert!(PersonName::parse("n", "   ").is_err());
        assert!(PersonName::parse("n", &"x".repeat(101)).is_err());
        assert!(PersonName::parse("n", &"ä".repeat(100)).is_ok());
        assert!(PersonName::parse("n", "a\u{7}b").is_err());
    }

    #[test]
    fn phones_and_notes() {
        assert_eq!(Phone::parse_optional("p", Some(" ")).unwrap(), None);
        assert!(Phone::parse_optional("p", Some("+358 (40) 123-4567")).unwrap().is_some());
        assert!(Phone::parse_optional("p", Some("call me")).is_err());
        assert!(parse_notes("n", Some(&"x".repeat(5001))).is_err());
        assert_eq!(parse_notes("n", Some("a\nb")).unwrap().as_deref(), Some("a\nb"));
    }

    #[test]
    fn time_zones_languages_roles() {
        assert!(TimeZoneName::parse("tz", "Europe/Helsinki").is_ok());
        assert!(TimeZoneName::parse("tz", "Mars/Olympus").is_err());
        assert!(TimeZoneName::all().iter().any(|n| n == "America/New_York"));
        assert_eq!(Language::parse("l", "fi").unwrap(), Language::Fi);
        assert!(Language::parse("l", "xx").is_err());
        assert_eq!(Role::parse("r", "admin").unwrap(), Role::Admin);
        assert!(Role::parse("r", "root").is_err());
        assert!(Password::parse("p", "short").is_err());
        assert!(format!("{:?}", Password::parse("p", "long enough pw").unwrap()).contains("redacted"));
    }
}
