//! UID sets as command arguments (`3:7,9`): many messages in one command, never UID 0.

use std::fmt::Write as _;

use super::uid;
use crate::NetError;

/// The UIDs as an IMAP sequence set, sorted, runs written as ranges.
/// Refuses an empty list (a command with no set is a syntax error) and UID 0.
pub(super) fn uid_set(uids: &[u32]) -> Result<String, NetError> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let Some(&first) = sorted.first() else {
        return Err(NetError::InvalidArgument {
            what: "UID set",
            reason: "is empty",
        });
    };
    uid::check(first)?;
    let mut out = String::new();
    let mut start = first;
    let mut end = first;
    for &u in sorted.iter().skip(1) {
        if u == end + 1 {
            end = u;
            continue;
        }
        push_run(&mut out, start, end);
        start = u;
        end = u;
    }
    push_run(&mut out, start, end);
    Ok(out)
}

fn push_run(out: &mut String, start: u32, end: u32) {
    if !out.is_empty() {
        out.push(',');
    }
    // Writing to a String cannot fail.
    let _ = if start == end {
        write!(out, "{start}")
    } else {
        write!(out, "{start}:{end}")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_become_ranges() -> Result<(), NetError> {
        assert_eq!(uid_set(&[9, 3, 4, 5, 7, 4])?, "3:5,7,9");
        assert_eq!(uid_set(&[1])?, "1");
        assert!(uid_set(&[]).is_err());
        assert!(uid_set(&[0, 1]).is_err());
        Ok(())
    }
}
