//! Timestamps as people and reports read them: RFC 3339 in UTC, from core's
//! one calendar.

pub(crate) use coffer_core::calendar::rfc3339_utc as utc;

/// The current time, formatted by [`utc`].
pub(crate) fn now() -> String {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    utc(unix)
}
