//! Times as people read them, for pages, exports and the API's files alike.

/// A time as people read it, in the organization's time zone (`Organization::tz`, looked up once per page):
/// `2026-11-26 14:05`.
pub fn local_time(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => String::new(),
    }
}
