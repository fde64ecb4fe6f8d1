//! Pure rules and validated newtypes. No I/O here: everything that enters the system from the edge is parsed into
//! one of these types first, so the layers below never see unchecked input.

mod fields;
mod interview;
mod invitation;
mod review;
mod search;

pub use fields::*;
pub use interview::*;
pub use invitation::*;
pub use review::*;
pub use search::search_key;

/// A field-level validation failure: which field, and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field or JSON path, e.g. `email` or `questions[2].max_takes`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Collects field errors while parsing a whole form, so a person sees every problem at once.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result`, if any, and gives back the value.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn search_key_is_folded_and_stable(s in "\\PC{0,40}") {
            let k = search_key(&s);
            prop_assert_eq!(search_key(&k), k.clone());
            prop_assert!(!k.starts_with(' ') && !k.ends_with(' ') && !k.contains("  "));
            prop_assert!(!k.chars().any(|c| c.is_ascii_uppercase()));
        }

        #[test]
        fn parsed_emails_reparse_to_themselves(s in "[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9-]{1,20}\\.[a-zA-Z]{2,6}|\\PC{0,60}") {
            if let Ok(e) = EmailAddress::parse("email", &s) {
                let again = EmailAddress::parse("email", e.as_str()).unwrap();
                prop_assert_eq!(again.as_str(), e.as_str());
                prop_assert!(e.as_str().len() <= EMAIL_MAX_LEN);
                prop_assert!(!e.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
            }
        }

        #[test]
        fn parsed_names_are_within_limits(s in "\\PC{0,120}|[ \\t\\n]{0,5}[a-zA-ZäöåÄÖÅ]{0,110}") {
            if let Ok(n) = PersonName::parse("name", &s) {
                prop_assert!(n.as_str().chars().count() <= NAME_MAX_CHARS);
                prop_assert!(!n.as_str().is_empty());
                prop_assert!(!n.as_str().chars().any(char::is_control));
                let again = PersonName::parse("name", n.as_str()).unwrap();
                prop_assert_eq!(again.as_str(), n.as_str());
            }
        }

        #[test]
        fn phones_never_panic_and_keep_digits(s in "\\PC{0,40}") {
            if let Ok(Some(p)) = Phone::parse_optional("phone", Some(&s)) {
                prop_assert!(p.as_str().chars().any(|c| c.is_ascii_digit()));
            }
        }
    }
}
