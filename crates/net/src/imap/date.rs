//! INTERNALDATE: RFC 3501 `date-time` ("01-Feb-2024 10:00:00 +0000") to and from Unix seconds.

use coffer_core::calendar::{DAY, MONTHS, civil_from_days, days_from_civil};

use crate::NetError;

/// Formats `unix` seconds as a quoted RFC 3501 `date-time` in UTC.
pub(super) fn format_internaldate(unix: i64) -> Result<String, NetError> {
    let (year, month, day) = civil_from_days(unix.div_euclid(DAY));
    if !(1..=9999).contains(&year) {
        return Err(NetError::InvalidArgument {
            what: "internal date",
            reason: "is outside the years 1 to 9999",
        });
    }
    let secs = unix.rem_euclid(DAY);
    let name = month
        .checked_sub(1)
        .and_then(|m| MONTHS.get(usize::try_from(m).ok()?))
        .ok_or(NetError::InvalidArgument {
            what: "internal date",
            reason: "has no valid month",
        })?;
    Ok(format!(
        "\"{day:02}-{name}-{year:04} {:02}:{:02}:{:02} +0000\"",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

/// Parses an RFC 3501 `date-time` (without its quotes) into Unix seconds.
pub(super) fn parse_internaldate(text: &str) -> Result<i64, NetError> {
    parse(text.trim_start())
        .ok_or_else(|| NetError::Protocol(format!("unreadable INTERNALDATE {text:?}")))
}

fn parse(text: &str) -> Option<i64> {
    let mut parts = text.split(' ');
    let (date, time, zone) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut d = date.split('-');
    let day: i64 = number(d.next()?)?;
    let month_name = d.next()?;
    let year: i64 = number(d.next()?)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_name))
        .and_then(|i| u32::try_from(i).ok())?
        + 1;
    let mut t = time.split(':');
    let (h, m, s): (i64, i64, i64) = (number(t.next()?)?, number(t.next()?)?, number(t.next()?)?);
    if t.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let (sign, digits) = match zone.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    let (zh, zm) = digits.split_at_checked(2)?;
    let offset = sign * (number(zh)? * 3600 + number(zm)? * 60);
    Some(
        days_from_civil(year, month, u32::try_from(day).ok()?) * DAY + h * 3600 + m * 60 + s
            - offset,
    )
}

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() -> Result<(), NetError> {
        assert_eq!(format_internaldate(0)?, "\"01-Jan-1970 00:00:00 +0000\"");
        // 2024-02-29 13:05:09 UTC, a leap day.
        assert_eq!(
            format_internaldate(1_709_211_909)?,
            "\"29-Feb-2024 13:05:09 +0000\""
        );
        assert_eq!(format_internaldate(-1)?, "\"31-Dec-1969 23:59:59 +0000\"");
        assert!(format_internaldate(i64::MAX / 2).is_err());
        Ok(())
    }

    #[test]
    fn parses_with_zones_and_padded_days() -> Result<(), NetError> {
        assert_eq!(
            parse_internaldate("29-Feb-2024 13:05:09 +0000")?,
            1_709_211_909
        );
        assert_eq!(parse_internaldate(" 1-Jan-1970 01:00:00 +0100")?, 0);
        assert_eq!(parse_internaldate("31-Dec-1969 19:00:00 -0500")?, 0);
        for bad in [
            "",
            "32-Jan-2024 00:00:00 +0000",
            "01-Foo-2024 00:00:00 +0000",
            "01-Jan-2024 00:00 +0000",
            "01-Jan-2024 00:00:00 0000",
        ] {
            assert!(parse_internaldate(bad).is_err(), "{bad:?}");
        }
        Ok(())
    }

    #[test]
    fn round_trips_across_centuries() -> Result<(), NetError> {
        for unix in [-2_208_988_800, 951_782_400, 4_102_444_800, 253_402_300_799] {
            let quoted = format_internaldate(unix)?;
            assert_eq!(
                parse_internaldate(quoted.trim_matches('"'))?,
                unix,
                "{quoted}"
            );
        }
        Ok(())
    }
}
