//! The values of `field:value` terms: dates, durations, sizes, flags.

use crate::calendar::{DAY as SECONDS_PER_DAY, civil_from_days, days_from_civil};

/// `YYYY-MM-DD` (or Gmail's `YYYY/MM/DD`) → Unix seconds at 00:00 UTC.
pub(super) fn date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let sep = *b.get(4)?;
    if b.len() != 10 || !matches!(sep, b'-' | b'/') || b.get(7) != Some(&sep) {
        return None;
    }
    let year = i64::try_from(digits(text.get(0..4)?)?).ok()?;
    let month = u32::try_from(digits(text.get(5..7)?)?).ok()?;
    let day = u32::try_from(digits(text.get(8..10)?)?).ok()?;
    if !(1..=12).contains(&month) || day == 0 || i64::from(day) > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * SECONDS_PER_DAY)
}

/// A count of calendar units: `7d`, `3m`, `1y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Duration {
    count: u32,
    unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Month,
    Year,
}

/// `N` followed by `d`, `m` or `y` (either case).
pub(super) fn duration(text: &str) -> Option<Duration> {
    let unit = match text.chars().last()?.to_ascii_lowercase() {
        'd' => Unit::Day,
        'm' => Unit::Month,
        'y' => Unit::Year,
        _ => return None,
    };
    let count = text.get(..text.len() - 1)?;
    let count = u32::try_from(digits(count)?).ok()?;
    Some(Duration { count, unit })
}

impl Duration {
    /// The instant `self` before `now` (Unix seconds, UTC). Months and years
    /// are calendar ones: a month before 31 March is the last day of
    /// February, at the same time of day. `None` when out of range.
    pub(super) fn before(self, now: i64) -> Option<i64> {
        let count = i64::from(self.count);
        match self.unit {
            Unit::Day => now.checked_sub(count.checked_mul(SECONDS_PER_DAY)?),
            Unit::Month => months_before(now, count),
            Unit::Year => months_before(now, count.checked_mul(12)?),
        }
    }
}

fn months_before(now: i64, months: i64) -> Option<i64> {
    let (year, month, day) = civil_from_days(now.div_euclid(SECONDS_PER_DAY));
    let time_of_day = now.rem_euclid(SECONDS_PER_DAY);
    let index = year
        .checked_mul(12)?
        .checked_add(i64::from(month) - 1)?
        .checked_sub(months)?;
    let year = index.div_euclid(12);
    let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
    let day = i64::from(day).min(days_in_month(year, month));
    let day = u32::try_from(day).ok()?;
    days_from_civil(year, month, day)
        .checked_mul(SECONDS_PER_DAY)?
        .checked_add(time_of_day)
}

/// `N`, `NK`, `NM` or `NG` (either case), in bytes: K is 1024.
pub(super) fn size(text: &str) -> Option<u64> {
    let (number, multiplier) = match text.chars().last()?.to_ascii_uppercase() {
        'K' => (text.get(..text.len() - 1)?, 1 << 10),
        'M' => (text.get(..text.len() - 1)?, 1 << 20),
        'G' => (text.get(..text.len() - 1)?, 1 << 30),
        _ => (text, 1),
    };
    digits(number)?.checked_mul(multiplier)
}

/// ASCII digits only (no sign, no space, no other script's digits), as a
/// number; `None` past `u64::MAX`.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: i64, month: u32) -> i64 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    days_from_civil(next_year, next_month, 1) - days_from_civil(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_midnight() {
        assert_eq!(date("1970-01-01"), Some(0));
        assert_eq!(date("2024-03-01"), Some(1_709_251_200));
        assert_eq!(date("2024/03/01"), Some(1_709_251_200));
        assert_eq!(date("2024-02-29"), Some(1_709_164_800));
        assert_eq!(date("1969-12-31"), Some(-86_400));
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in [
            "2024-13-01",
            "2024-00-10",
            "2023-02-29",
            "2024-04-31",
            "2024-01-00",
            "2024-1-01",
            "24-01-01",
            "2024-01/01",
            "2024-01-01x",
            "+024-01-01",
            "２０２４-01-01",
            "",
            "yesterday",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_count_back_calendar_units() {
        let now = date("2024-03-31").unwrap() + 3600;
        let ago = |s: &str| duration(s).unwrap().before(now).unwrap();
        assert_eq!(ago("0d"), now);
        assert_eq!(ago("2d"), date("2024-03-29").unwrap() + 3600);
        assert_eq!(ago("1m"), date("2024-02-29").unwrap() + 3600);
        assert_eq!(ago("13M"), date("2023-02-28").unwrap() + 3600);
        assert_eq!(ago("1y"), date("2023-03-31").unwrap() + 3600);
        let leap = date("2024-02-29").unwrap();
        assert_eq!(duration("1y").unwrap().before(leap), date("2023-02-28"));
        for bad in ["", "d", "7", "7w", "-7d", "7 d", "99999999999d", "٣d"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_out_of_range_are_none_not_a_panic() {
        let huge = duration("4294967295y").unwrap();
        for now in [i64::MIN, -1, 0, i64::MAX] {
            let _ = huge.before(now);
            let _ = duration("4294967295d").unwrap().before(now);
            let _ = duration("1m").unwrap().before(now);
        }
        assert_eq!(duration("1d").unwrap().before(i64::MIN), None);
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(size("0"), Some(0));
        assert_eq!(size("1500"), Some(1500));
        assert_eq!(size("10k"), Some(10_240));
        assert_eq!(size("5M"), Some(5 << 20));
        assert_eq!(size("2G"), Some(2 << 30));
        assert_eq!(size("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "M",
            "5MB",
            "-5",
            "5.5M",
            "5T",
            "99999999999999999999",
            "99999999999G",
        ] {
            assert_eq!(size(bad), None, "{bad}");
        }
    }
}
