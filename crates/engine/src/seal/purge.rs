//! Servers without UIDPLUS but with MOVE: verified originals are moved to a folder Coffer owns and removed there by a bare `EXPUNGE`, after a check proves that only they are in it.
//!
//! Without UIDPLUS there is no `UID EXPUNGE`, and a bare `EXPUNGE` in the
//! original's folder would also remove what other clients marked
//! `\Deleted` there. `UID MOVE` (RFC 6851) takes exactly the originals out
//! of their folder, into [`FOLDER`]. There, before the one bare `EXPUNGE`
//! Coffer ever sends, every message is downloaded and hashed:
//!
//! * one whose SHA-256 is an original whose sealed copy was verified and is
//!   still on the server (this batch's, or an earlier run's that was cut
//!   after its MOVE: a journal row still `verified`) is marked `\Deleted`;
//! * anything else (a message another client put there, an original whose
//!   copy has since gone) is moved out again, to its own folder when the
//!   journal knows it, else to INBOX, where sealing treats it like any
//!   other message. It is never expunged;
//! * then `UID SEARCH DELETED` must name no message but those marked: only
//!   then the `EXPUNGE`, and a look that they are gone.
//!
//! Workers purge one at a time (the folder is shared), every run starts by
//! purging what an interrupted run left, and ends by purging again if a
//! batch could not: the folder holds no plaintext after a run.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context as _;
use coffer_net::ImapSession;
use coffer_store::{JournalRow, JournalState};
use sha2::{Digest as _, Sha256};

use super::journal::{Journal, set};

/// The folder Coffer owns on servers without UIDPLUS: it holds verified
/// originals for the moment between their MOVE and their removal.
pub const FOLDER: &str = "Coffer Purge";

/// Originals that may be removed, by SHA-256, with how many of each
/// (identical originals each have their own verified copy).
pub(super) type Removable = HashMap<[u8; 32], usize>;

/// What a purge did.
#[derive(Debug, Default)]
pub(super) struct Purged {
    /// The originals removed, by SHA-256, with how many: this batch's first.
    pub(super) removed: Removable,
    /// Earlier runs' originals finished here (their journal rows now `deleted`).
    pub(super) finished: usize,
    /// Messages that were not ours to remove, moved out again.
    pub(super) moved_out: usize,
}

/// Takes one of `sha` out of `set`, if there is one.
pub(super) fn take(set: &mut Removable, sha: &[u8; 32]) -> bool {
    match set.get_mut(sha) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

/// Whether the server lists [`FOLDER`].
pub(super) async fn exists(session: &mut ImapSession) -> anyhow::Result<bool> {
    Ok(session
        .list_folders()
        .await
        .context("listing folders to find Coffer's purge folder")?
        .iter()
        .any(|f| f.name == FOLDER))
}

/// Creates [`FOLDER`] unless the server lists it already.
pub(super) async fn ensure_folder(session: &mut ImapSession) -> anyhow::Result<()> {
    let listed = session
        .list_folders()
        .await
        .context("listing folders to find Coffer's purge folder")?;
    if listed.iter().any(|f| f.name == FOLDER) {
        return Ok(());
    }
    session.create_folder(FOLDER).await.with_context(|| {
        format!(
            "creating the folder {FOLDER:?}, where originals are removed on a server without \
             UIDPLUS"
        )
    })
}

/// Empties [`FOLDER`] of what may go: the `removable` originals (whose
/// copies the caller checked just before moving them) and originals of
/// interrupted runs whose copies are still there. Anything else is moved
/// out again, never expunged. Leaves [`FOLDER`] selected.
pub(super) async fn purge(
    session: &mut ImapSession,
    journal: &Journal<'_>,
    mut removable: Removable,
) -> anyhow::Result<Purged> {
    let mut purged = Purged::default();
    let validity = select_folder(session).await?;
    let listed = session
        .uid_list()
        .await
        .with_context(|| format!("listing {FOLDER:?}"))?;
    if listed.is_empty() {
        return Ok(purged);
    }
    let uids: Vec<u32> = listed.iter().map(|m| m.uid).collect();
    // Hash every message there: the proof that it is an original with a
    // verified sealed copy. One the server does not serve is a stranger.
    // A few at a time (by size), each body dropped once hashed.
    let mut hashes: BTreeMap<u32, Option<[u8; 32]>> = uids.iter().map(|u| (*u, None)).collect();
    let mut chunk: Vec<u32> = Vec::new();
    let mut chunk_bytes = 0u64;
    let mut listed_iter = listed.iter().peekable();
    while let Some(m) = listed_iter.next() {
        chunk.push(m.uid);
        chunk_bytes += u64::from(m.size);
        let full = chunk_bytes >= 16 * 1024 * 1024 || chunk.len() >= 50;
        if !full && listed_iter.peek().is_some() {
            continue;
        }
        for fetched in session
            .uid_fetch_many(&chunk)
            .await
            .with_context(|| format!("reading the messages in {FOLDER:?} to prove they are ours"))?
        {
            if let Some(slot) = hashes.get_mut(&fetched.uid) {
                *slot = Some(Sha256::digest(&fetched.body).into());
            }
        }
        chunk.clear();
        chunk_bytes = 0;
    }
    let mut ours: Vec<(u32, [u8; 32], Option<JournalRow>)> = Vec::new();
    let mut strangers: Vec<(u32, Option<[u8; 32]>)> = Vec::new();
    for (uid, sha) in hashes {
        match sha {
            Some(sha) if take(&mut removable, &sha) => ours.push((uid, sha, None)),
            _ => strangers.push((uid, sha)),
        }
    }
    if !strangers.is_empty() {
        let (found, out) = earlier_runs(session, journal, &strangers).await?;
        reselect(session, validity).await?;
        ours.extend(found);
        purged.moved_out = move_out(session, &out).await?;
    }
    let marked_uids: Vec<u32> = ours.iter().map(|(u, _, _)| *u).collect();
    // Nothing but ours may carry \Deleted here: checked before marking
    // (so a refusal leaves no mark of ours behind) and again after.
    let unproven = |deleted: Vec<u32>| -> Vec<u32> {
        deleted
            .into_iter()
            .filter(|u| !marked_uids.contains(u))
            .collect()
    };
    let before = unproven(
        session
            .uid_search_deleted()
            .await
            .with_context(|| format!("checking what is marked \\Deleted in {FOLDER:?}"))?,
    );
    if !before.is_empty() {
        anyhow::bail!(refused(&before));
    }
    let marked = session
        .uid_store_deleted_many(&marked_uids)
        .await
        .with_context(|| format!("marking verified originals \\Deleted in {FOLDER:?}"))?;
    let after = unproven(
        session
            .uid_search_deleted()
            .await
            .with_context(|| format!("checking what is marked \\Deleted in {FOLDER:?}"))?,
    );
    if !after.is_empty() {
        // Take our marks off again: none outlives this purge.
        let ours_marked: Vec<u32> = marked.keys().copied().collect();
        for uid in ours_marked {
            if let Err(error) = session
                .uid_change_flags(uid, &[], &["\\Deleted".to_owned()])
                .await
            {
                tracing::warn!(%error, uid, "cannot take \\Deleted off in the purge folder");
            }
        }
        anyhow::bail!(refused(&after));
    }
    if marked.is_empty() {
        return Ok(purged);
    }
    session
        .bare_expunge()
        .await
        .with_context(|| format!("removing verified originals in {FOLDER:?}"))?;
    let left: HashSet<u32> = session
        .uids_present(&marked_uids)
        .await
        .with_context(|| format!("checking the originals left {FOLDER:?}"))?
        .into_iter()
        .collect();
    let mut finished = Vec::new();
    for (uid, sha, row) in ours {
        if left.contains(&uid) || !marked.contains_key(&uid) {
            continue;
        }
        match row {
            Some(mut row) => {
                set(&mut row, JournalState::Deleted, "");
                finished.push(row);
            }
            None => *purged.removed.entry(sha).or_default() += 1,
        }
    }
    purged.finished = finished.len();
    journal.write(&finished)?;
    if !left.is_empty() {
        tracing::warn!(?left, "originals still in the purge folder after EXPUNGE");
    }
    Ok(purged)
}

/// SELECTs [`FOLDER`], returning its UIDVALIDITY.
async fn select_folder(session: &mut ImapSession) -> anyhow::Result<u32> {
    Ok(session
        .select(FOLDER)
        .await
        .with_context(|| format!("opening {FOLDER:?}"))?
        .uid_validity)
}

/// SELECTs [`FOLDER`] again after looking elsewhere: it must be the same
/// folder (UIDVALIDITY), or the UIDs in hand mean nothing.
async fn reselect(session: &mut ImapSession, validity: u32) -> anyhow::Result<()> {
    let now = select_folder(session).await?;
    anyhow::ensure!(
        now == validity,
        "{FOLDER:?} was recreated meanwhile (UIDVALIDITY {validity} → {now}); nothing was \
         expunged there"
    );
    Ok(())
}

/// Among `strangers`, originals of earlier runs cut after their MOVE: a
/// journal row still `verified` with the same SHA-256, whose sealed copy is
/// still on the server. Returns those (with their rows), and the rest with
/// the folder each goes back to.
async fn earlier_runs(
    session: &mut ImapSession,
    journal: &Journal<'_>,
    strangers: &[(u32, Option<[u8; 32]>)],
) -> anyhow::Result<(Vec<(u32, [u8; 32], Option<JournalRow>)>, Vec<(u32, String)>)> {
    let wanted: HashSet<[u8; 32]> = strangers.iter().filter_map(|(_, s)| *s).collect();
    let rows: Vec<JournalRow> = journal
        .store()
        .journal_rows_in_state(journal.account(), JournalState::Verified)
        .context("reading the sealing journal")?
        .into_iter()
        .filter(|r| r.original_sha256.is_some_and(|s| wanted.contains(&s)))
        .collect();
    let present = copies_present(session, &rows).await?;
    let mut by_sha: HashMap<[u8; 32], Vec<JournalRow>> = HashMap::new();
    let mut home: HashMap<[u8; 32], String> = HashMap::new();
    for row in rows {
        let Some(sha) = row.original_sha256 else {
            continue;
        };
        home.entry(sha).or_insert_with(|| row.folder.clone());
        if present.contains(&(row.folder.clone(), row.appended_uid)) {
            by_sha.entry(sha).or_default().push(row);
        }
    }
    let (mut found, mut out) = (Vec::new(), Vec::new());
    for (uid, sha) in strangers {
        let row = sha.and_then(|s| by_sha.get_mut(&s).and_then(Vec::pop));
        match (row, sha) {
            (Some(row), Some(sha)) => found.push((*uid, *sha, Some(row))),
            _ => {
                let back = sha
                    .and_then(|s| home.get(&s).cloned())
                    .unwrap_or_else(|| "INBOX".to_owned());
                out.push((*uid, back));
            }
        }
    }
    Ok((found, out))
}

/// The sealed copies of `rows` that are still on the server, as
/// (folder, UID), each folder checked under the UIDVALIDITY the copy was
/// appended under.
async fn copies_present(
    session: &mut ImapSession,
    rows: &[JournalRow],
) -> anyhow::Result<HashSet<(String, u32)>> {
    let mut groups: BTreeMap<(&str, u32), Vec<u32>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.appended_uid != 0) {
        groups
            .entry((r.folder.as_str(), r.appended_uid_validity))
            .or_default()
            .push(r.appended_uid);
    }
    let mut present = HashSet::new();
    for ((folder, validity), uids) in groups {
        match session.examine(folder).await {
            Ok(status) if status.uid_validity == validity => {}
            _ => continue,
        }
        for uid in session
            .uids_present(&uids)
            .await
            .with_context(|| format!("checking sealed copies are still in {folder:?}"))?
        {
            present.insert((folder.to_owned(), uid));
        }
    }
    Ok(present)
}

/// Moves messages that are not Coffer's to remove out of [`FOLDER`]
/// (selected): each to the folder given, or INBOX if that fails. Returns
/// how many left.
async fn move_out(session: &mut ImapSession, out: &[(u32, String)]) -> anyhow::Result<usize> {
    let mut by_folder: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (uid, folder) in out {
        by_folder.entry(folder.as_str()).or_default().push(*uid);
    }
    let mut moved = 0;
    for (folder, uids) in by_folder {
        tracing::warn!(
            folder,
            ?uids,
            "messages in the purge folder that are not verified originals go back"
        );
        let mut left = session.uid_move_many(&uids, folder).await;
        if folder != "INBOX" && left.as_ref().map_or(true, |l| !l.is_empty()) {
            let again: Vec<u32> = match &left {
                Ok(l) => l.clone(),
                Err(_) => uids.clone(),
            };
            left = session.uid_move_many(&again, "INBOX").await;
        }
        let left = left.with_context(|| {
            format!("moving messages that are not Coffer's out of {FOLDER:?}; nothing was expunged")
        })?;
        moved += uids.len() - left.len();
    }
    Ok(moved)
}

/// Why nothing was expunged: messages Coffer did not prove its own carry
/// `\Deleted` in its folder.
fn refused(unproven: &[u32]) -> String {
    format!(
        "{} message(s) Coffer did not prove its own (UID {unproven:?}) are marked \\Deleted in \
         {FOLDER:?}, so nothing was expunged there; the verified originals wait there for the \
         next run",
        unproven.len()
    )
}
