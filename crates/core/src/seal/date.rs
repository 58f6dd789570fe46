//! INTERNALDATE as a value (seconds + zone offset) and its canonical RFC 5322 form.
//!
//! Core never reads the clock: the engine passes the IMAP INTERNALDATE in. The
//! outer `Date:` header is written in exactly one form,
//! `Tue, 01 Jul 2025 10:00:00 +0200` (two-digit day, four-digit year), and
//! parsing accepts only that form.

use std::fmt;

/// What is wrong with a date.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DateError {
    /// The zone offset is not within ±23:59.
    #[error("zone offset {0} minutes is out of range (±1439)")]
    OffsetOutOfRange(i16),
    /// The local date falls outside the years 1900–9999.
    #[error("date is outside the years 1900 to 9999")]
    YearOutOfRange,
    /// The text is not a canonical RFC 5322 date as Coffer writes it.
    #[error("not a canonical date: {0}")]
    NotCanonical(&'static str),
}

/// An IMAP INTERNALDATE: an instant and the zone offset it was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InternalDate {
    unix_seconds: i64,
    offset_minutes: i16,
}

const MIN_UNIX: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
const MAX_UNIX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl InternalDate {
    /// An instant (seconds since the Unix epoch, UTC) and the zone offset in
    /// minutes east of UTC that the server reported it in.
    pub fn new(unix_seconds: i64, offset_minutes: i16) -> Result<Self, DateError> {
        if !(-1439..=1439).contains(&offset_minutes) {
            return Err(DateError::OffsetOutOfRange(offset_minutes));
        }
        let local = unix_seconds.checked_add(i64::from(offset_minutes) * 60);
        match local {
            Some(l) if (MIN_UNIX..=MAX_UNIX).contains(&l) => Ok(Self {
                unix_seconds,
                offset_minutes,
            }),
            _ => Err(DateError::YearOutOfRange),
        }
    }

    /// Seconds since the Unix epoch (UTC).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// Zone offset in minutes east of UTC.
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Local civil time: (year, month 1-12, day, hour, minute, second, weekday 0=Sun).
    fn civil(&self) -> (i64, u32, u32, u32, u32, u32, usize) {
        let local = self.unix_seconds + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let weekday = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        // secs < 86400, so these fit in u32.
        let secs = u32::try_from(secs).unwrap_or(0);
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, weekday)
    }

    /// Parses the canonical form written by [`fmt::Display`].
    pub fn parse_rfc5322(text: &str) -> Result<Self, DateError> {
        // "Tue, 01 Jul 2025 10:00:00 +0200"
        let b = text.as_bytes();
        if b.len() != 31 {
            return Err(DateError::NotCanonical("wrong length"));
        }
        let field = |from: usize, to: usize| {
            text.get(from..to)
                .ok_or(DateError::NotCanonical("not ASCII"))
        };
        let number = |from: usize, to: usize| -> Result<i64, DateError> {
            let s = field(from, to)?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(DateError::NotCanonical("expected digits"));
            }
            s.parse()
                .map_err(|_| DateError::NotCanonical("expected digits"))
        };
        let month = MONTHS
            .iter()
            .position(|m| Ok(*m) == field(8, 11))
            .ok_or(DateError::NotCanonical("unknown month"))?;
        let sign = match field(26, 27)? {
            "+" => 1,
            "-" => -1,
            _ => return Err(DateError::NotCanonical("expected a zone sign")),
        };
        let (year, day) = (number(12, 16)?, number(5, 7)?);
        let (hour, minute, second) = (number(17, 19)?, number(20, 22)?, number(23, 25)?);
        let (zh, zm) = (number(27, 29)?, number(29, 31)?);
        if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 || zm > 59 {
            return Err(DateError::NotCanonical("field out of range"));
        }
        let month =
            u32::try_from(month + 1).map_err(|_| DateError::NotCanonical("unknown month"))?;
        let day_u =
            u32::try_from(day).map_err(|_| DateError::NotCanonical("field out of range"))?;
        let local =
            days_from_civil(year, month, day_u) * 86_400 + hour * 3600 + minute * 60 + second;
        let offset = i16::try_from(sign * (zh * 60 + zm))
            .map_err(|_| DateError::OffsetOutOfRange(i16::MAX))?;
        let date = Self::new(local - i64::from(offset) * 60, offset)?;
        // Re-formatting catches a wrong weekday, 31 Feb, "-0000" and spacing.
        if date.to_string() != text {
            return Err(DateError::NotCanonical("not in canonical form"));
        }
        Ok(date)
    }
}

impl fmt::Display for InternalDate {
    /// `Tue, 01 Jul 2025 10:00:00 +0200`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hh, mm, ss, wd) = self.civil();
        let day = DAYS.get(wd).copied().unwrap_or("Sun");
        let month = usize::try_from(m)
            .ok()
            .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
            .copied()
            .unwrap_or("Jan");
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        write!(
            f,
            "{day}, {d:02} {month} {y:04} {hh:02}:{mm:02}:{ss:02} {sign}{:02}{:02}",
            off / 60,
            off % 60
        )
    }
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's algorithm.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// (year, month, day) → days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        let d = InternalDate::new(0, 0).unwrap();
        assert_eq!(d.to_string(), "Thu, 01 Jan 1970 00:00:00 +0000");
        let d = InternalDate::new(1_751_364_000, 120).unwrap();
        assert_eq!(d.to_string(), "Tue, 01 Jul 2025 12:00:00 +0200");
        let d = InternalDate::new(951_782_400, -330).unwrap(); // 2000-02-29T00:00Z
        assert_eq!(d.to_string(), "Mon, 28 Feb 2000 18:30:00 -0530");
        let d = InternalDate::new(MIN_UNIX, 0).unwrap();
        assert_eq!(d.to_string(), "Mon, 01 Jan 1900 00:00:00 +0000");
    }

    #[test]
    fn parse_is_the_inverse_and_strict() {
        for (t, o) in [
            (0, 0),
            (1_751_364_000, 120),
            (951_782_400, -330),
            (-1, 59),
            (MAX_UNIX, 0),
            (1_000_000_007, 1439),
        ] {
            let d = InternalDate::new(t, o).unwrap();
            assert_eq!(InternalDate::parse_rfc5322(&d.to_string()).unwrap(), d);
        }
        for bad in [
            "Wed, 01 Jan 1970 00:00:00 +0000", // wrong weekday
            "Thu, 1 Jan 1970 00:00:00 +0000",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Thu, 01 jan 1970 00:00:00 +0000",
            "Sat, 31 Feb 2025 00:00:00 +0000",
            "Thu, 01 Jan 1970 24:00:00 +0000",
            "Thu, 01 Jan 1970 00:00:00 +0060",
            "Thu, 01 Jan 1970 00:00:00 -0000",
            "Thu, 01 Jan 1970 00:00:00 +0000 ",
        ] {
            assert!(InternalDate::parse_rfc5322(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn range_checks() {
        assert_eq!(
            InternalDate::new(0, 1440),
            Err(DateError::OffsetOutOfRange(1440))
        );
        assert_eq!(
            InternalDate::new(MIN_UNIX - 1, 0),
            Err(DateError::YearOutOfRange)
        );
        assert_eq!(
            InternalDate::new(MAX_UNIX + 1, 0),
            Err(DateError::YearOutOfRange)
        );
        assert_eq!(
            InternalDate::new(i64::MAX, 10),
            Err(DateError::YearOutOfRange)
        );
    }

    #[test]
    fn civil_round_trip_over_many_days() {
        for days in (-25_567..2_932_896).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
