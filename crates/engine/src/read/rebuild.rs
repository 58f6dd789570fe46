//! Bringing the index in step with the server: `coffer rebuild` on a new
//! device, `coffer sync` afterwards. One pass does both.
//!
//! Per folder: list the UIDs and flags (read-only, EXAMINE), find the seals
//! (the marker header), and compare with the index. Flags that changed are
//! taken over; rows whose copy is gone are dropped — unless the same seal
//! turned up in another folder, which is a move (the row follows it, nothing
//! is downloaded). Only seals the index has never seen are downloaded and
//! opened, a batch at a time; each is committed on its own, so an
//! interrupted run resumes where it stopped.
//!
//! On a server with CONDSTORE (RFC 7162) a complete pass records each
//! folder's UIDVALIDITY and HIGHESTMODSEQ; the next pass skips a folder
//! where both are unchanged and the index still holds a row for every seal
//! in it (nothing was added, flagged or expunged there): only its EXAMINE
//! goes over the wire.

use std::collections::{HashMap, HashSet};

use anyhow::Context as _;
use coffer_core::audit::HEAD_BYTES;
use coffer_core::seal::outer::MARKER_HEADER;
use coffer_core::{Authenticity, SealId};
use coffer_net::ImapSession;
use coffer_store::{CopyPlace, FolderSync, RowPlace, Trust};
use serde::Serialize;

use crate::Vault;
use crate::accounts::Connection;
use crate::index::{IndexBuffer, record_unverified};

/// Progress of a rebuild or sync, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildProgress {
    /// A folder was compared with the index.
    FolderScanned {
        /// The folder.
        folder: String,
        /// Seals in it the index has not seen.
        new: u64,
    },
    /// Everything is compared: this many seals will be downloaded.
    Planned {
        /// Seals to download and open.
        messages: u64,
        /// Their bytes.
        bytes: u64,
    },
    /// Seals downloaded and indexed so far.
    Indexed {
        /// Messages done.
        messages: u64,
        /// Bytes done.
        bytes: u64,
    },
}

/// What a rebuild or sync changed in the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RebuildSummary {
    /// The account.
    pub account: String,
    /// Folders compared.
    pub folders: u64,
    /// Of those, folders skipped as unchanged since the last complete pass
    /// (the server's HIGHESTMODSEQ, CONDSTORE): nothing in them was listed.
    pub unchanged: u64,
    /// Genuine seals downloaded, opened and indexed.
    pub indexed: u64,
    /// Seals listed without content: not this vault's (forged, foreign,
    /// malformed).
    pub unverified: u64,
    /// Genuine seals whose original is itself a Coffer seal (one that did
    /// not verify when it was sealed): listed as wrapped, never read.
    pub wrapped: u64,
    /// Rows that followed their copy to another folder.
    pub moved: u64,
    /// Rows whose flags changed on the server.
    pub flags_changed: u64,
    /// Rows whose copy is gone from the server.
    pub removed: u64,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Messages on the server that are not sealed yet: never indexed, never
    /// mixed in with the sealed mail (`coffer seal` seals them).
    pub not_sealed: u64,
}

/// Seals downloaded per FETCH (bounded in bytes as well).
const BATCH_MESSAGES: usize = 50;
const BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// A row whose copy was not found where the index has it.
struct Gone {
    id: i64,
    seal_id: String,
}

/// A seal on the server the index does not have.
struct New {
    folder: String,
    uid_validity: u32,
    uid: u32,
    size: u64,
    flags: Vec<String>,
}

impl Vault {
    /// Rebuilds or refreshes the index of `account` (or the only account)
    /// from the server; see the module's documentation.
    #[tracing::instrument(skip_all, fields(account = account.unwrap_or("")))]
    pub async fn sync_index(
        &self,
        account: Option<&str>,
        mut progress: impl FnMut(RebuildProgress),
    ) -> anyhow::Result<RebuildSummary> {
        let conn = self.connection(account)?;
        let mut session = conn.connect().await?;
        let mut summary = RebuildSummary {
            account: conn.name.clone(),
            ..RebuildSummary::default()
        };
        // Without it every folder is listed in full, every time.
        let condstore = session.enable_condstore().await.unwrap_or_else(|error| {
            tracing::debug!(%error, "ENABLE CONDSTORE refused");
            false
        });
        let folders = crate::folders::choose(&mut session, &[]).await?;
        let mut gone: Vec<Gone> = Vec::new();
        let mut new: Vec<New> = Vec::new();
        let mut seen: Vec<(String, FolderSync)> = Vec::new();
        for folder in &folders {
            let (found, state) = self
                .compare_folder(&mut session, &conn, folder, &mut gone, &mut summary)
                .await
                .with_context(|| format!("comparing folder {folder:?} with the index"))?;
            if let Some(state) = state.filter(|_| condstore) {
                seen.push((folder.clone(), state));
            }
            progress(RebuildProgress::FolderScanned {
                folder: folder.clone(),
                new: found.len() as u64,
            });
            new.extend(found);
        }
        // Folders that are gone from the server take their rows with them.
        for (folder, _) in self.store().index_folders(&conn.name)? {
            if !folders.contains(&folder) {
                for row in self.store().index_rows_of(&conn.name, &folder)? {
                    gone.push(Gone {
                        id: row.id,
                        seal_id: row.seal_id,
                    });
                }
            }
        }
        summary.folders = folders.len() as u64;
        let to_fetch = self
            .follow_moves(&mut session, &conn, new, &mut gone, &mut summary)
            .await?;
        let ids: Vec<i64> = gone.iter().map(|g| g.id).collect();
        self.store().index_remove(&ids)?;
        summary.removed = ids.len() as u64;
        progress(RebuildProgress::Planned {
            messages: to_fetch.len() as u64,
            bytes: to_fetch.iter().map(|n| n.size).sum(),
        });
        self.download(&mut session, &conn, to_fetch, &mut summary, &mut progress)
            .await?;
        // Only a complete pass is a basis for skipping folders next time.
        self.store().forget_folder_sync(&conn.name, None)?;
        for (folder, state) in &seen {
            self.store().set_folder_sync(&conn.name, folder, state)?;
        }
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after sync failed");
        }
        Ok(summary)
    }

    /// Compares one folder with the index: takes flag changes over, notes
    /// rows whose copy is gone, and returns the seals the index lacks, with
    /// what to record of the folder (its HIGHESTMODSEQ, when reported). A
    /// folder unchanged since the last complete pass is not listed.
    async fn compare_folder(
        &self,
        session: &mut ImapSession,
        conn: &Connection<'_>,
        folder: &str,
        gone: &mut Vec<Gone>,
        summary: &mut RebuildSummary,
    ) -> anyhow::Result<(Vec<New>, Option<FolderSync>)> {
        let status = session.examine(folder).await?;
        let validity = status.uid_validity;
        if let (Some(modseq), Some(before)) = (
            status.highest_modseq,
            self.store().folder_sync(&conn.name, folder)?,
        ) && before.uid_validity == validity
            && before.highest_modseq == modseq
            && self.store().index_count_in(&conn.name, folder)? + before.not_sealed
                == u64::from(status.exists)
        {
            summary.unchanged += 1;
            summary.not_sealed += before.not_sealed;
            return Ok((Vec::new(), Some(before)));
        }
        let listed = session.uid_list().await?;
        let seals: HashSet<u32> = session
            .uid_search_header(MARKER_HEADER, "")
            .await?
            .into_iter()
            .collect();
        let mut known: HashMap<u32, RowPlace> = HashMap::new();
        for row in self.store().index_rows_of(&conn.name, folder)? {
            // A row from before the folder's UIDVALIDITY changed names a
            // message that no longer exists under that UID (a seal found
            // again under the new one is a move, and keeps the row).
            if row.uid_validity == validity {
                known.insert(row.uid, row);
            } else {
                gone.push(Gone {
                    id: row.id,
                    seal_id: row.seal_id,
                });
            }
        }
        let not_sealed = listed.iter().filter(|m| !seals.contains(&m.uid)).count() as u64;
        summary.not_sealed += not_sealed;
        let mut new = Vec::new();
        let mut present = HashSet::new();
        for m in listed.iter().filter(|m| seals.contains(&m.uid)) {
            present.insert(m.uid);
            match known.get(&m.uid) {
                Some(row) => {
                    if row.flags != m.flags.join(" ") {
                        self.store().index_set_flags(row.id, &m.flags)?;
                        summary.flags_changed += 1;
                    }
                }
                None => new.push(New {
                    folder: folder.to_owned(),
                    uid_validity: validity,
                    uid: m.uid,
                    size: u64::from(m.size),
                    flags: m.flags.clone(),
                }),
            }
        }
        for (uid, row) in known {
            if !present.contains(&uid) {
                gone.push(Gone {
                    id: row.id,
                    seal_id: row.seal_id,
                });
            }
        }
        // The modseq read before listing: a change made while listing
        // raises it past this, and the next pass lists the folder again.
        let state = status.highest_modseq.map(|highest_modseq| FolderSync {
            uid_validity: validity,
            highest_modseq,
            not_sealed,
        });
        Ok((new, state))
    }

    /// A new seal whose seal id is a gone row's is that row, moved: the row
    /// follows it. Returns the seals still to download.
    async fn follow_moves(
        &self,
        session: &mut ImapSession,
        conn: &Connection<'_>,
        new: Vec<New>,
        gone: &mut Vec<Gone>,
        summary: &mut RebuildSummary,
    ) -> anyhow::Result<Vec<New>> {
        if gone.iter().all(|g| g.seal_id.is_empty()) {
            return Ok(new);
        }
        let mut to_fetch = Vec::new();
        let mut by_folder: HashMap<String, Vec<New>> = HashMap::new();
        for n in new {
            by_folder.entry(n.folder.clone()).or_default().push(n);
        }
        for (folder, items) in by_folder {
            session.examine(&folder).await?;
            let uids: Vec<u32> = items.iter().map(|n| n.uid).collect();
            let heads: HashMap<u32, Option<SealId>> = session
                .fetch_heads(&uids, HEAD_BYTES)
                .await?
                .into_iter()
                .map(|h| {
                    let id = coffer_core::inspect_head(&h.head, h.size)
                        .ok()
                        .map(|i| i.seal_id);
                    (h.uid, id)
                })
                .collect();
            for n in items {
                let id = heads.get(&n.uid).copied().flatten().map(|s| s.to_string());
                let moved = id.and_then(|id| gone.iter().position(|g| g.seal_id == id));
                match moved {
                    Some(at) => {
                        let row = gone.swap_remove(at);
                        let place = CopyPlace {
                            account: conn.name.clone(),
                            folder: n.folder.clone(),
                            uid_validity: n.uid_validity,
                            uid: n.uid,
                        };
                        self.store().index_move(row.id, &place)?;
                        self.store().index_set_flags(row.id, &n.flags)?;
                        summary.moved += 1;
                    }
                    None => to_fetch.push(n),
                }
            }
        }
        Ok(to_fetch)
    }

    /// Downloads and opens the seals the index lacks, a batch at a time, and
    /// indexes each (genuine ones with their content).
    async fn download(
        &self,
        session: &mut ImapSession,
        conn: &Connection<'_>,
        mut to_fetch: Vec<New>,
        summary: &mut RebuildSummary,
        progress: &mut impl FnMut(RebuildProgress),
    ) -> anyhow::Result<()> {
        to_fetch.sort_by(|a, b| a.folder.cmp(&b.folder).then(a.uid.cmp(&b.uid)));
        let mut selected: Option<String> = None;
        let mut buffer = IndexBuffer::default();
        let mut start = 0;
        while start < to_fetch.len() {
            let folder = to_fetch
                .get(start)
                .map(|n| n.folder.clone())
                .unwrap_or_default();
            let mut end = start;
            let mut bytes = 0u64;
            while let Some(n) = to_fetch.get(end) {
                if n.folder != folder
                    || (end > start
                        && (end - start >= BATCH_MESSAGES || bytes + n.size > BATCH_BYTES))
                {
                    break;
                }
                bytes += n.size;
                end += 1;
            }
            let batch = to_fetch.get(start..end).unwrap_or_default();
            if selected.as_deref() != Some(folder.as_str()) {
                session.examine(&folder).await?;
                selected = Some(folder.clone());
            }
            let uids: Vec<u32> = batch.iter().map(|n| n.uid).collect();
            let fetched = session
                .uid_fetch_many(&uids)
                .await
                .with_context(|| format!("fetching sealed messages in {folder:?}"))?;
            let by_uid: HashMap<u32, &New> = batch.iter().map(|n| (n.uid, n)).collect();
            for message in fetched {
                let Some(n) = by_uid.get(&message.uid) else {
                    continue;
                };
                summary.bytes += message.body.len() as u64;
                let place = CopyPlace {
                    account: conn.name.clone(),
                    folder: n.folder.clone(),
                    uid_validity: n.uid_validity,
                    uid: n.uid,
                };
                match coffer_core::open(self.keys(), &message.body) {
                    Ok(opened) if opened.authenticity == Authenticity::Verified => {
                        let written = buffer.push(self.store(), place, opened, n.flags.clone());
                        count(summary, &written);
                    }
                    _ => {
                        record_unverified(self.store(), place, n.flags.clone());
                        summary.unverified += 1;
                    }
                }
            }
            let written = buffer.flush(self.store());
            count(summary, &written);
            progress(RebuildProgress::Indexed {
                messages: summary.indexed + summary.unverified + summary.wrapped,
                bytes: summary.bytes,
            });
            start = end;
        }
        Ok(())
    }
}

/// Counts what a batch wrote: genuine rows, and seals of seals apart.
fn count(summary: &mut RebuildSummary, written: &[Option<Trust>]) {
    for trust in written {
        match trust {
            Some(Trust::Wrapped) => summary.wrapped += 1,
            _ => summary.indexed += 1,
        }
    }
}
