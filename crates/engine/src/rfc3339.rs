//! Time as people and reports read it: RFC 3339 in UTC, from core's one
//! calendar; and the clock, read here only.

pub(crate) use coffer_core::calendar::rfc3339_utc as utc;

/// The current time in Unix seconds.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The current time, formatted by [`utc`].
pub(crate) fn now() -> String {
    utc(now_unix())
}
