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
    // The header search only says which messages to examine: a message it
    // misses is sealed, one it names is left alone only if it opens as this
    // vault's verified seal.
    let seals: Vec<&UidInfo> = messages
        .iter()
        .filter(|m| seal_uids.contains(&m.uid))
        .collect();
    let ctx = PlanContext {
        keys,
        store: journal.store(),
        account: journal.account(),
        folder,
    };
    let existing = recognise_seals(session, &ctx, validity, &rows, &seals, summary).await?;
    summary.folder(folder).already_sealed = existing.values().map(|v| v.len() as u64).sum();
    let ours: HashSet<u32> = existing.values().flatten().copied().collect();

    let by_uid: HashMap<u32, &JournalRow> = rows
        .iter()
        .filter(|r| r.uid_validity == validity)
        .map(|r| (r.uid, r))
        .collect();
    // A rotation takes this vault's seals too: the worker opens each and
    // seals anew those of an older key generation.
    let plaintext = messages
        .iter()
        .filter(|m| options.rotate || !ours.contains(&m.uid));
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

/// What recognising seals needs besides the session.
struct PlanContext<'a> {
    keys: &'a VaultKeys,
    store: &'a coffer_store::Store,
    account: &'a str,
    folder: &'a str,
}

/// This vault's seals among `seals` (UIDs carrying the marker header), by
/// seal id: the only messages sealing leaves alone. A copy the journal
/// recorded as appended and verified, or a seal the index holds as genuine
/// at that UID, is trusted from its head; any other is downloaded and opened
/// once, and a genuine one is indexed (so later passes trust it without a
/// download). Whatever does not open as this vault's verified seal —
/// malformed, forged to the public key, another vault's — is noted in
/// `not_ours` and sealed like any other message: looking like a seal keeps
/// nothing out of sealing.
async fn recognise_seals(
    session: &mut ImapSession,
    ctx: &PlanContext<'_>,
    validity: u32,
    rows: &[JournalRow],
    seals: &[&UidInfo],
    summary: &mut SealSummary,
) -> anyhow::Result<HashMap<SealId, Vec<u32>>> {
    let folder = ctx.folder;
    // Copies this vault appended and verified byte for byte, and seals it
    // opened and indexed before: trusted without downloading them again.
    let mut trusted: HashMap<u32, SealId> = rows
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
    for row in ctx.store.index_rows_of(ctx.account, folder)? {
        if row.uid_validity == validity
            && let Some(id) = SealId::parse_hex(&row.seal_id)
        {
            trusted.entry(row.uid).or_insert(id);
        }
    }
    let flags: HashMap<u32, &Vec<String>> = seals.iter().map(|m| (m.uid, &m.flags)).collect();
    let uids: Vec<u32> = seals.iter().map(|m| m.uid).collect();
    let mut existing: HashMap<SealId, Vec<u32>> = HashMap::new();
    // Genuine seals opened here are indexed, so later passes trust them.
    let mut found = crate::index::IndexBuffer::default();
    let heads = session
        .fetch_heads(&uids, HEAD_BYTES)
        .await
        .with_context(|| format!("reading sealed messages' heads in {folder:?}"))?;
    for head in heads {
        summary.bytes_downloaded += head.head.len() as u64;
        let id = match coffer_core::inspect_head(&head.head, head.size) {
            Ok(info) => info.seal_id,
            Err(e) => {
                summary.not_ours(folder, head.uid, format!("a malformed seal ({e})"));
                continue;
            }
        };
        if trusted.get(&head.uid) == Some(&id) {
            existing.entry(id).or_default().push(head.uid);
            continue;
        }
        // Not in the journal or the index (another device, a recovered
        // vault, or a forgery): open it to know.
        let Some(whole) = session.uid_fetch_one(head.uid).await? else {
            continue;
        };
        summary.bytes_downloaded += whole.body.len() as u64;
        summary.seals_opened += 1;
        match coffer_core::open(ctx.keys, &whole.body) {
            Ok(o) if o.authenticity == Authenticity::Verified && o.manifest.seal_id == id => {
                let place = coffer_store::CopyPlace {
                    account: ctx.account.to_owned(),
                    folder: folder.to_owned(),
                    uid_validity: validity,
                    uid: head.uid,
                };
                let flags = flags
                    .get(&head.uid)
                    .map(|f| (*f).clone())
                    .unwrap_or_default();
                found.push(ctx.store, place, o, flags);
                existing.entry(id).or_default().push(head.uid);
            }
            Ok(_) => summary.not_ours(
                folder,
                head.uid,
                "a forged seal: it opens, but its manifest MAC does not verify with this \
                 vault's keys, so anyone with the public key could have made it",
            ),
            Err(e) => summary.not_ours(
                folder,
                head.uid,
                format!("a seal this vault cannot open ({e})"),
            ),
        }
    }
    found.flush(ctx.store);
    Ok(existing)
}

/// The originals to seal, in UID order: everything that is not this
/// vault's verified seal, but those over the size limit (skipped, with the
/// reason). An original another client marked `\Deleted` is sealed too: its
/// copy carries the `\Deleted`, so that client's expunge removes the copy
/// later, and plaintext does not wait on the server meanwhile. One this
/// vault marked `\Deleted` after verifying its copy is resumed.
fn choose_originals<'m>(
    folder: &str,
    originals: impl Iterator<Item = &'m UidInfo>,
    by_uid: &HashMap<u32, &JournalRow>,
    options: &SealOptions,
    summary: &mut SealSummary,
) -> Vec<Item> {
    let mut items = Vec::new();
    for m in originals {
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
