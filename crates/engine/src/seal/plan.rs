//! Planning one folder: list it, tell this vault's seals from forgeries and plaintext, batch the plaintext.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use anyhow::Context as _;
use coffer_core::audit::HEAD_BYTES;
use coffer_core::seal::outer::MARKER_HEADER;
use coffer_core::{Authenticity, SealId, VaultKeys};
use coffer_net::{ImapSession, UidInfo};
use coffer_store::{JournalRow, JournalState};

use super::SealOptions;
use super::journal::Journal;
use super::summary::{SealSummary, WouldSeal};

/// One plaintext original to seal.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) uid: u32,
    pub(super) size: u64,
    /// The journal says a previous run verified a copy and set `\Deleted`
    /// itself: finish removing it (the flag is not another client's).
    pub(super) resume: bool,
    /// A previous run got as far as planning or appending with this seal
    /// id: a copy may exist that the plan did not see, so search for it.
    pub(super) prior_seal_id: Option<SealId>,
}

/// What workers share about a planned folder.
#[derive(Debug)]
pub(super) struct FolderPlan {
    pub(super) name: String,
    pub(super) uid_validity: u32,
    /// This vault's verified seals in the folder, by seal id: a copy found
    /// here is used instead of appending another. Each is claimed once.
    existing: RefCell<HashMap<SealId, Vec<u32>>>,
    claimed: RefCell<HashSet<u32>>,
}

impl FolderPlan {
    /// Takes an unclaimed verified seal with this id, if there is one.
    pub(super) fn claim(&self, seal_id: &SealId) -> Option<u32> {
        let uid = self.existing.borrow_mut().get_mut(seal_id)?.pop()?;
        self.claimed.borrow_mut().insert(uid);
        Some(uid)
    }

    /// Claims the lowest of `uids` (sorted) not claimed yet.
    pub(super) fn claim_oldest(&self, uids: &[u32]) -> Option<u32> {
        let mut claimed = self.claimed.borrow_mut();
        let uid = uids.iter().copied().find(|u| !claimed.contains(u))?;
        claimed.insert(uid);
        Some(uid)
    }

    /// Claims the last of `uids` not claimed yet.
    pub(super) fn claim_any(&self, uids: &[u32]) -> Option<u32> {
        let mut claimed = self.claimed.borrow_mut();
        let uid = uids.iter().rev().copied().find(|u| !claimed.contains(u))?;
        claimed.insert(uid);
        Some(uid)
    }
}

/// The plan of one folder: its shared part and the originals, in batches.
pub(super) struct Planned {
    pub(super) folder: FolderPlan,
    pub(super) batches: Vec<Vec<Item>>,
}

/// Plans `folder` read-only (EXAMINE): counts this vault's seals, reports
/// the seals it did not make, skips what must not be sealed, and batches
/// the rest. Writes `planned` journal rows unless this is a dry run.
pub(super) async fn plan_folder(
    session: &mut ImapSession,
    keys: &VaultKeys,
    journal: &Journal<'_>,
    folder: &str,
    options: &SealOptions,
    summary: &mut SealSummary,
) -> anyhow::Result<Planned> {
    let status = session
        .examine(folder)
        .await
        .with_context(|| format!("opening folder {folder:?}"))?;
    let validity = status.uid_validity;
    summary.folder(folder).uid_validity = validity;
    let messages = session
        .uid_list()
        .await
        .with_context(|| format!("listing messages in {folder:?}"))?;
    let seal_uids: HashSet<u32> = session
        .uid_search_header(MARKER_HEADER, "")
        .await
        .with_context(|| format!("looking for sealed messages in {folder:?}"))?
        .into_iter()
        .collect();
    let rows = journal.rows(folder)?;
    let seals: Vec<u32> = messages
        .iter()
        .map(|m| m.uid)
        .filter(|u| seal_uids.contains(u))
        .collect();
    let existing = recognise_seals(session, keys, folder, validity, &rows, &seals, summary).await?;
    summary.folder(folder).already_sealed = existing.values().map(|v| v.len() as u64).sum();

    let by_uid: HashMap<u32, &JournalRow> = rows
        .iter()
        .filter(|r| r.uid_validity == validity)
        .map(|r| (r.uid, r))
        .collect();
    let plaintext = messages.iter().filter(|m| !seal_uids.contains(&m.uid));
    let items = choose_originals(folder, plaintext, &by_uid, options, summary);
    summary.folder(folder).planned = items.len() as u64;
    if options.dry_run {
        summary.would_seal.extend(items.iter().map(|i| WouldSeal {
            folder: folder.to_owned(),
            uid: i.uid,
            size: i.size,
        }));
    } else {
        let fresh: Vec<_> = items
            .iter()
            .filter(|i| !by_uid.contains_key(&i.uid))
            .map(|i| journal.planned(folder, validity, i.uid, i.size))
            .collect();
        journal.write(&fresh)?;
    }
    Ok(Planned {
        folder: FolderPlan {
            name: folder.to_owned(),
            uid_validity: validity,
            existing: RefCell::new(existing),
            claimed: RefCell::new(HashSet::new()),
        },
        batches: batches(items, options),
    })
}

/// This vault's seals among `seals` (UIDs carrying the marker header), by
/// seal id. A copy the journal recorded as appended and verified is trusted
/// from its head; any other is downloaded and opened. Malformed, foreign and
/// forged seals are reported as not ours.
async fn recognise_seals(
    session: &mut ImapSession,
    keys: &VaultKeys,
    folder: &str,
    validity: u32,
    rows: &[JournalRow],
    seals: &[u32],
    summary: &mut SealSummary,
) -> anyhow::Result<HashMap<SealId, Vec<u32>>> {
    // Copies this vault appended and verified byte for byte: trusted
    // without downloading them again.
    let trusted: HashMap<u32, SealId> = rows
        .iter()
        .filter(|r| {
            r.appended_uid_validity == validity
                && matches!(
                    r.state,
                    JournalState::Verified | JournalState::Deleted | JournalState::Kept
                )
        })
        .filter_map(|r| Some((r.appended_uid, r.seal_id?)))
        .collect();
    let mut existing: HashMap<SealId, Vec<u32>> = HashMap::new();
    let heads = session
        .fetch_heads(seals, HEAD_BYTES)
        .await
        .with_context(|| format!("reading sealed messages' heads in {folder:?}"))?;
    for head in heads {
        let id = match coffer_core::inspect_head(&head.head, head.size) {
            Ok(info) => info.seal_id,
            Err(e) => {
                summary.not_ours(
                    folder,
                    head.uid,
                    format!("a malformed seal ({e}); left in place"),
                );
                continue;
            }
        };
        if trusted.get(&head.uid) == Some(&id) {
            existing.entry(id).or_default().push(head.uid);
            continue;
        }
        // Not in the journal (another device, a recovered vault, or a
        // forgery): open it to know.
        let Some(whole) = session.uid_fetch_one(head.uid).await? else {
            continue;
        };
        match coffer_core::open(keys, &whole.body) {
            Ok(o) if o.authenticity == Authenticity::Verified => {
                existing.entry(id).or_default().push(head.uid)
            }
            Ok(_) => summary.not_ours(
                folder,
                head.uid,
                "a forged seal: it opens, but its manifest MAC does not verify with this \
                 vault's keys, so anyone with the public key could have made it; left in place",
            ),
            Err(e) => summary.not_ours(
                folder,
                head.uid,
                format!("a seal this vault cannot open ({e}); left in place"),
            ),
        }
    }
    Ok(existing)
}

/// The plaintext originals to seal, in UID order: those over the size
/// limit and those another client marked `\Deleted` are skipped; one this
/// vault marked `\Deleted` after verifying its copy is resumed.
fn choose_originals<'m>(
    folder: &str,
    plaintext: impl Iterator<Item = &'m UidInfo>,
    by_uid: &HashMap<u32, &JournalRow>,
    options: &SealOptions,
    summary: &mut SealSummary,
) -> Vec<Item> {
    let mut items = Vec::new();
    for m in plaintext {
        let size = u64::from(m.size);
        let row = by_uid.get(&m.uid);
        let deleted = m.flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted"));
        let resume = deleted && row.is_some_and(|r| r.state == JournalState::Verified);
        if size > options.max_message_bytes {
            summary.skip(
                folder,
                m.uid,
                size,
                format!(
                    "larger than the size limit ({size} > {} bytes); left as it is",
                    options.max_message_bytes
                ),
            );
        } else if deleted && !resume {
            summary.skip(
                folder,
                m.uid,
                size,
                "marked \\Deleted by another client; left for that client to expunge",
            );
        } else {
            let prior_seal_id = row
                .filter(|r| matches!(r.state, JournalState::Planned | JournalState::Appended))
                .and_then(|r| r.seal_id);
            items.push(Item {
                uid: m.uid,
                size,
                resume,
                prior_seal_id,
            });
        }
    }
    items
}

/// Groups originals into batches of at most `batch_messages` messages and
/// `batch_bytes` bytes (a larger message goes alone).
fn batches(items: Vec<Item>, options: &SealOptions) -> Vec<Vec<Item>> {
    let mut out: Vec<Vec<Item>> = Vec::new();
    let mut current: Vec<Item> = Vec::new();
    let mut bytes = 0u64;
    for item in items {
        if !current.is_empty()
            && (current.len() >= options.batch_messages
                || bytes.saturating_add(item.size) > options.batch_bytes)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes = bytes.saturating_add(item.size);
        current.push(item);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
