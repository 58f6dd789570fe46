//! The keyless structure check of seals beyond their head: reads the byte
//! ranges [`coffer_core::audit::sample`] plans (the tail and samples, or
//! every byte with `--full`) and holds each to the seal's shape
//! ([`Structure::check`]). A plaintext body behind a copied seal head fails
//! here; base64 of anything else does not, which only opening with the
//! vault's key can tell.

use std::collections::HashMap;

use coffer_core::audit::sample::{self, Depth};
use coffer_core::seal::{SealError, Structure};
use coffer_net::{ImapSession, MessageRanges};

/// What the structure check found wrong with one seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Defect {
    /// A range breaks the seal's structure.
    Malformed(SealError),
    /// The server did not return a range it should have.
    Withheld,
}

/// Checks `seals` (UID and the structure its head fixes) at `depth`, a few
/// FETCHes for a whole batch. Returns the seals that failed, by UID.
pub(super) async fn check(
    session: &mut ImapSession,
    seals: &[(u32, Structure)],
    depth: Depth,
) -> anyhow::Result<HashMap<u32, Defect>> {
    let structures: Vec<Structure> = seals.iter().map(|(_, s)| s.clone()).collect();
    let plan = sample::plan(&structures, depth, &mut rand::rngs::OsRng);
    let mut defects: HashMap<u32, Defect> = HashMap::new();
    // Whether each seal's final line was checked.
    let mut reached_end: Vec<bool> = structures
        .iter()
        .map(|s| s.lines_in_head() == s.lines())
        .collect();
    for fetch in plan {
        let todo: Vec<(usize, u32)> = fetch
            .messages
            .iter()
            .filter_map(|&i| Some((i, seals.get(i)?.0)))
            .filter(|(_, uid)| !defects.contains_key(uid))
            .collect();
        if todo.is_empty() {
            continue;
        }
        let uids: Vec<u32> = todo.iter().map(|&(_, uid)| uid).collect();
        let ranges: Vec<(u64, u64)> = fetch.ranges.iter().map(|r| (r.offset, r.len)).collect();
        let mut got: HashMap<u32, MessageRanges> = session
            .fetch_ranges(&uids, &ranges)
            .await?
            .into_iter()
            .map(|m| (m.uid, m))
            .collect();
        for (i, uid) in todo {
            let Some(s) = structures.get(i) else { continue };
            let outcome = match got.remove(&uid) {
                None => Err(Defect::Withheld),
                Some(m) => check_one(s, &fetch.ranges, &m),
            };
            match outcome {
                Ok(end) => {
                    if let Some(r) = reached_end.get_mut(i) {
                        *r |= end;
                    }
                }
                Err(defect) => {
                    defects.insert(uid, defect);
                }
            }
        }
    }
    for (i, (uid, _)) in seals.iter().enumerate() {
        if !reached_end.get(i).copied().unwrap_or(false) {
            defects
                .entry(*uid)
                .or_insert(Defect::Malformed(SealError::MalformedWrapper(
                    "its final line was not returned to be checked",
                )));
        }
    }
    Ok(defects)
}

/// Checks the pieces of one message; `Ok(true)` when its final line was
/// among them.
fn check_one(
    s: &Structure,
    ranges: &[coffer_core::seal::ByteRange],
    m: &MessageRanges,
) -> Result<bool, Defect> {
    if m.size != s.total_size() {
        return Err(Defect::Malformed(SealError::MalformedWrapper(
            "its size changed during the audit",
        )));
    }
    let mut end = false;
    for range in ranges {
        let bytes = match m.piece(range.offset) {
            Some(bytes) => bytes,
            // A server may leave out a range that starts past the end.
            None if range.offset >= s.total_size() => &[],
            None => return Err(Defect::Withheld),
        };
        let lines = s.check(*range, bytes).map_err(Defect::Malformed)?;
        end |= lines.end == s.lines() && lines.start < lines.end;
    }
    Ok(end)
}
