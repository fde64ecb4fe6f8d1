//! The answer deadline rule and the invitation's status machine.

use super::FieldError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// An answer deadline: a date, **inclusive** — the candidate may answer until the end of that date in the
/// organization's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Date);

/// The organization's date now.
pub fn today_in(tz: &TimeZone, now: Timestamp) -> Date {
    now.to_zoned_datetime(tz.clone()).date()
}

impl Deadline {
    /// Parses `YYYY-MM-DD` (what date pickers send) or a typed `D.M.YYYY` / `D/M/YYYY`; the date must exist and be
    /// `today` or later.
    pub fn parse(field: &'static str, raw: &str, today: Date) -> Result<Self, FieldError> {
        let date = parse_date(raw.trim())
            .ok_or_else(|| FieldError::new(field, "Enter a date that exists, like 2026-12-31 (or 31.12.2026)."))?;
        if date < today {
            return Err(FieldError::new(field, format!("The deadline cannot be in the past; today is {today}.")));
        }
        Ok(Self(date))
    }

    /// A deadline read back from storage, where it was valid when it was set.
    pub fn from_stored(raw: &str) -> Option<Self> {
        raw.parse::<Date>().ok().map(Self)
    }

    pub fn date(&self) -> Date {
        self.0
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        self.0.to_string()
    }

    /// The first instant that is past the deadline: the start of the next day in `tz` (the first instant that exists
    /// on that day, when a DST change skips midnight).
    pub fn closes_at(&self, tz: &TimeZone) -> Timestamp {
        let next = self.0.tomorrow().unwrap_or(self.0);
        match next.to_zoned_datetime(tz.clone()) {
            Ok(zdt) => zdt.timestamp(),
            Err(_) => Timestamp::MAX,
        }
    }

    /// Whether answers are still accepted at `now`.
    pub fn is_open(&self, now: Timestamp, tz: &TimeZone) -> bool {
        now < self.closes_at(tz)
    }
}

fn parse_date(s: &str) -> Option<Date> {
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let parts: Vec<&str> = s.split(['.', '/']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let day: i8 = parts[0].parse().ok()?;
    let month: i8 = parts[1].parse().ok()?;
    let year: i16 = parts[2].parse().ok()?;
    if parts[2].len() != 4 {
        return None;
    }
    Date::new(year, month, day).ok()
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Sent, not started.
    Pending,
    /// The first answer was started.
    InProgress,
    /// Every question answered.
    Answered,
    /// The candidate withdrew.
    Withdrawn,
    /// A recruiter disabled the link.
    Disabled,
    /// The deadline passed before completion.
    Expired,
}

/// What can happen to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationEvent {
    /// The candidate started the first answer.
    Start,
    /// The candidate kept the last answer.
    Complete,
    Withdraw,
    Disable,
    /// The end of the deadline date passed.
    Expire,
    /// The deadline was moved later; `started` tells whether any answer was begun.
    Reopen {
        started: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an invitation that is {from:?} cannot {event:?}")]
pub struct TransitionError {
    pub from: InvitationStatus,
    pub event: InvitationEvent,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 6] = [
        InvitationStatus::Pending,
        InvitationStatus::InProgress,
        InvitationStatus::Answered,
        InvitationStatus::Withdrawn,
        InvitationStatus::Disabled,
        InvitationStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::InProgress => "in_progress",
            InvitationStatus::Answered => "answered",
            InvitationStatus::Withdrawn => "withdrawn",
            InvitationStatus::Disabled => "disabled",
            InvitationStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "Pending",
            InvitationStatus::InProgress => "In progress",
            InvitationStatus::Answered => "Answered",
            InvitationStatus::Withdrawn => "Withdrawn",
            InvitationStatus::Disabled => "Disabled",
            InvitationStatus::Expired => "Expired",
        }
    }

    /// Whether the candidate may still record answers (deadline permitting).
    pub fn is_open(self) -> bool {
        matches!(self, InvitationStatus::Pending | InvitationStatus::InProgress)
    }

    /// The status after `event`, or why it cannot happen.
    pub fn apply(self, event: InvitationEvent) -> Result<Self, TransitionError> {
        use InvitationEvent as E;
        use InvitationStatus as S;
        let next = match (self, event) {
            (S::Pending, E::Start) => S::InProgress,
            (S::InProgress, E::Complete) => S::Answered,
            (S::Pending | S::InProgress, E::Withdraw) => S::Withdrawn,
            (S::Pending | S::InProgress | S::Expired, E::Disable) => S::Disabled,
            (S::Pending | S::InProgress, E::Expire) => S::Expired,
            (S::Expired, E::Reopen { started: false }) => S::Pending,
            (S::Expired, E::Reopen { started: true }) => S::InProgress,
            _ => return Err(TransitionError { from: self, event }),
        };
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn deadline_parsing() {
        let today = d("2026-11-26");
        assert_eq!(Deadline::parse("deadline", "2026-12-31", today).unwrap().iso(), "2026-12-31");
        assert_eq!(Deadline::parse("deadline", " 31.12.2026 ", today).unwrap().iso(), "2026-12-31");
        assert_eq!(Deadline::parse("deadline", "1/2/2027", today).unwrap().iso(), "2027-02-01");
        assert_eq!(Deadline::parse("deadline", "2026-11-26", today).unwrap().iso(), "2026-11-26", "today is allowed");
        assert!(Deadline::parse("deadline", "2026-11-25", today).unwrap_err().message.contains("past"));
        for bad in ["2027-02-30", "31.02.2027", "2027-13-01", "tomorrow", "", "1.1.27", "2027-1-1x"] {
            assert!(Deadline::parse("deadline", bad, today).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn deadline_is_inclusive_in_the_organizations_time_zone() {
        let helsinki = TimeZone::get("Europe/Helsinki").unwrap();
        let deadline = Deadline(d("2026-12-31"));
        let last = "2026-12-31T21:59:59.999Z".parse::<Timestamp>().unwrap();
        let after = "2026-12-31T22:00:00Z".parse::<Timestamp>().unwrap();
        assert!(deadline.is_open(last, &helsinki));
        assert!(!deadline.is_open(after, &helsinki));
        // Across a DST change: in New York the 2027-03-14 day is 23 hours long.
        let ny = TimeZone::get("America/New_York").unwrap();
        let deadline = Deadline(d("2027-03-14"));
        assert_eq!(deadline.closes_at(&ny), "2027-03-15T04:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn status_machine() {
        use InvitationEvent as E;
        use InvitationStatus as S;
        assert_eq!(S::Pending.apply(E::Start), Ok(S::InProgress));
        assert_eq!(S::InProgress.apply(E::Complete), Ok(S::Answered));
        assert!(S::Pending.apply(E::Complete).is_err(), "nothing answered yet");
        assert_eq!(S::Expired.apply(E::Reopen { started: true }), Ok(S::InProgress));
        assert_eq!(S::Expired.apply(E::Reopen { started: false }), Ok(S::Pending));
        for terminal in [S::Answered, S::Withdrawn, S::Disabled] {
            for e in [E::Start, E::Complete, E::Withdraw, E::Expire, E::Reopen { started: false }] {
                assert!(terminal.apply(e).is_err(), "{terminal:?} {e:?}");
            }
        }
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        /// For any date and zone: open through the last instant of the date in that zone, closed from the next
        /// day's first instant on, whatever DST does.
        #[test]
        fn deadline_rule_across_time_zones(days in 0i64..3000, zone in 0usize..8) {
            let zones = ["Europe/Helsinki", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
                         "America/Santiago", "Asia/Kolkata", "UTC", "America/St_Johns"];
            let tz = TimeZone::get(zones[zone]).unwrap();
            let date = d("2024-01-01").checked_add(jiff::Span::new().days(days)).unwrap();
            let deadline = Deadline(date);
            let close = deadline.closes_at(&tz);
            let last = close.checked_sub(jiff::SignedDuration::from_millis(1)).unwrap();
            prop_assert!(deadline.is_open(last, &tz));
            prop_assert!(!deadline.is_open(close, &tz));
            // The last open instant is on the deadline date there; the first closed one is the next day.
            prop_assert_eq!(today_in(&tz, last), date);
            prop_assert_eq!(today_in(&tz, close), date.tomorrow().unwrap());
        }
    }
}
