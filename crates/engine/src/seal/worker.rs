//! A sealing worker: its own IMAP session, taking batches off the shared queue and walking each through the safe path.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use anyhow::Context as _;
use coffer_core::seal::outer::SEAL_ID_HEADER;
use coffer_core::{InternalDate, SealId, SealInput, VaultKeys};
use coffer_net::{FetchedMessage, ImapSession, ToAppend};
use coffer_store::{CopyPlace, JournalRow, JournalState};
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;

use super::bare_expunge;
use super::journal::{Journal, set};
use super::plan::{FolderPlan, Item};
use super::progress::SealProgress;
use super::summary::SealSummary;
use super::verify::verify_copy;
use crate::accounts::Connection;

/// One batch of originals of one folder.
pub(super) struct Batch {
    pub(super) folder: Rc<FolderPlan>,
    pub(super) items: Vec<Item>,
}

/// What the workers of one run share (all on one thread: `RefCell`s, and
/// no borrow is ever held across an `.await`).
pub(super) struct Shared<'a> {
    pub(super) keys: &'a VaultKeys,
    pub(super) journal: Journal<'a>,
    pub(super) conn: &'a Connection<'a>,
    /// The account seal ids are keyed to.
    pub(super) scope: coffer_core::seal::AccountScope,
    pub(super) uidplus: bool,
    /// A key rotation: seals of older generations are originals too.
    pub(super) rotate: bool,
    /// Whether originals may be expunged: UIDPLUS, and the account not
    /// marked for a server caught expunging more than asked (turned off
    /// mid-run when this run catches it).
    pub(super) expunge: Cell<bool>,
    /// Without UIDPLUS but with MOVE: originals go by way of Coffer's own
    /// folder ([`super::purge`]).
    pub(super) purge: Option<PurgeState>,
    /// This run's originals, by folder: never another client's `\Deleted`
    /// mail ([`bare_expunge::Watch`]).
    pub(super) ours: bare_expunge::Ours,
    pub(super) queue: RefCell<VecDeque<Batch>>,
    pub(super) summary: RefCell<&'a mut SealSummary>,
    pub(super) progress: RefCell<&'a mut dyn FnMut(SealProgress)>,
    /// Bytes of message data in memory at once, in KiB permits.
    pub(super) memory: Semaphore,
    pub(super) memory_kib: u32,
    /// Pause and cancel, checked before each batch.
    pub(super) control: Option<&'a super::SealControl>,
}

/// The purge folder, shared by the workers of a run.
pub(super) struct PurgeState {
    /// One worker at a time moves originals in and purges.
    pub(super) lock: tokio::sync::Mutex<()>,
    /// A batch's originals were moved in but not removed: the run purges
    /// once more at its end.
    pub(super) unfinished: Cell<bool>,
}

/// What became of one verified original at the end of a removal.
enum Removal {
    /// It stays, for this reason (its journal row stays `verified`).
    Kept(String),
    /// Another client removed or moved it meanwhile.
    Vanished,
    /// It is gone, and its sealed copy is in place.
    Removed,
}

/// The folder changed under us (UIDVALIDITY) or can no longer be opened:
/// its remaining work stops, and nothing more in it is deleted.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct FolderChanged(String);

/// A worker's session and the folder it has selected.
struct Open {
    session: ImapSession,
    selected: Option<String>,
}

/// One original on its way through the safe path.
struct Work<'b> {
    item: &'b Item,
    row: JournalRow,
    sha256: [u8; 32],
    /// The seal id older versions gave this original (vault-wide, before
    /// ids were keyed per account): a copy with it is as good.
    legacy_id: SealId,
    /// The original as fetched (kept until its copy is indexed).
    original: FetchedMessage,
    /// Where its sealed copy is, once appended (or found).
    copy: Option<SealedCopy>,
    /// The copy's flags when it was fetched back to be verified.
    copy_flags: Vec<String>,
}

impl Work<'_> {
    fn uid(&self) -> u32 {
        self.item.uid
    }

    fn size(&self) -> u64 {
        self.row.original_size
    }
}

/// A sealed copy on the server: its UID, and the bytes this run appended
/// (`None`: a copy an earlier run made), to compare with what the server
/// serves back.
struct SealedCopy {
    uid: u32,
    appended: Option<Vec<u8>>,
}

impl Shared<'_> {
    fn emit(&self, event: SealProgress) {
        (self.progress.borrow_mut())(event);
    }

    fn stopped(&self, folder: &str) -> bool {
        self.summary.borrow_mut().folder(folder).stopped.is_some()
    }

    fn stop(&self, folder: &str, reason: &str) {
        let first = self.summary.borrow_mut().stop(folder, reason);
        if first {
            self.emit(SealProgress::FolderStopped {
                folder: folder.to_owned(),
                reason: reason.to_owned(),
            });
        }
    }
}

/// Takes batches until the queue is empty.
pub(super) async fn worker(shared: &Shared<'_>) {
    let mut open: Option<Open> = None;
    loop {
        if let Some(control) = shared.control
            && !control.proceed().await
        {
            break;
        }
        let Some(batch) = shared.queue.borrow_mut().pop_front() else {
            break;
        };
        let folder = batch.folder.name.clone();
        let bytes: u64 = batch.items.iter().map(|i| i.size).sum();
        if !shared.stopped(&folder) {
            // Originals, the copies appended (kept to compare), the copies
            // fetched back and the decrypted check overlap: about four times
            // the batch's bytes at the peak, and at least twice a copy's
            // floor (8 KiB padded, base64: ~12 KiB) per message.
            let floor = batch.items.len() as u64 * 24;
            let want = u32::try_from(bytes.saturating_mul(4) / 1024 + floor + 256)
                .unwrap_or(u32::MAX)
                .min(shared.memory_kib);
            // The semaphore is never closed; should it be, run unthrottled.
            let _permit = shared.memory.acquire_many(want).await.ok();
            shared.emit(SealProgress::BatchStarted {
                folder: folder.clone(),
                uids: batch.items.iter().map(|i| i.uid).collect(),
            });
            // SELECT again for every batch: its UIDVALIDITY check is what
            // notices a folder deleted and recreated since the last batch
            // (a FETCH of the old UIDs would just find nothing).
            if let Some(o) = open.as_mut() {
                o.selected = None;
            }
            let mut run = BatchRun {
                shared,
                folder: &batch.folder,
                settled: HashSet::new(),
            };
            if let Err(error) = run.run(&mut open, &batch.items).await {
                open = None;
                settle_failure(shared, &mut open, &batch, &run.settled, &error).await;
            }
        }
        shared.emit(SealProgress::Progressed {
            folder,
            messages: batch.items.len() as u64,
            bytes,
        });
    }
    if let Some(o) = open
        && let Err(error) = o.session.logout().await
    {
        tracing::debug!(%error, "logout after sealing failed");
    }
}

/// After a batch failed: if the folder changed, stop it (not an error of
/// ours); otherwise record the unfinished originals as failed.
async fn settle_failure(
    shared: &Shared<'_>,
    open: &mut Option<Open>,
    batch: &Batch,
    done: &HashSet<u32>,
    error: &anyhow::Error,
) {
    let folder = &batch.folder;
    let changed = match error.downcast_ref::<FolderChanged>() {
        Some(c) => Some(c.0.clone()),
        None => match select(shared, open, folder).await {
            Err(e) => e.downcast_ref::<FolderChanged>().map(|c| c.0.clone()),
            Ok(_) => None,
        },
    };
    if let Some(reason) = changed {
        shared.stop(&folder.name, &reason);
        return;
    }
    tracing::warn!(folder = %folder.name, error = format!("{error:#}"), "a sealing batch failed");
    let mut summary = shared.summary.borrow_mut();
    for item in batch.items.iter().filter(|i| !done.contains(&i.uid)) {
        summary.fail(&folder.name, Some(item.uid), format!("{error:#}"));
    }
}

/// Connects if needed and selects `folder`, checking its UIDVALIDITY.
async fn select<'o>(
    shared: &Shared<'_>,
    open: &'o mut Option<Open>,
    folder: &FolderPlan,
) -> anyhow::Result<&'o mut ImapSession> {
    let o = match open {
        Some(o) => o,
        None => open.insert(Open {
            session: shared.conn.connect().await?,
            selected: None,
        }),
    };
    if o.selected.as_deref() != Some(folder.name.as_str()) {
        o.selected = None;
        let status = match o.session.select(&folder.name).await {
            Ok(status) => status,
            Err(e) => {
                // Gone, or no longer selectable: the folder changed.
                return Err(FolderChanged(format!(
                    "the folder can no longer be opened ({e}); nothing more in it was touched"
                ))
                .into());
            }
        };
        check_validity(folder, status.uid_validity)?;
        o.selected = Some(folder.name.clone());
    }
    Ok(&mut o.session)
}

fn check_validity(folder: &FolderPlan, now: u32) -> Result<(), FolderChanged> {
    if now == folder.uid_validity {
        Ok(())
    } else {
        Err(FolderChanged(format!(
            "its UIDVALIDITY changed from {} to {} (the folder was deleted and recreated, or \
             the server renumbered it); stopped without deleting anything after the change — \
             run seal again to seal what it holds now",
            folder.uid_validity, now
        )))
    }
}

/// The safe path for one batch, one named step after another. Every
/// original that reaches a final state joins `settled`; when a step fails,
/// the others are still on the server, untouched or resumable, and are
/// recorded as failed by the caller.
struct BatchRun<'r, 'a> {
    shared: &'r Shared<'a>,
    folder: &'r FolderPlan,
    settled: HashSet<u32>,
}

impl BatchRun<'_, '_> {
    async fn run(&mut self, open: &mut Option<Open>, items: &[Item]) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        let session = select(self.shared, open, self.folder).await?;
        let mut work = self.fetch(session, items).await?;
        let t_fetch = t0.elapsed();
        self.seal_and_append(session, &mut work).await?;
        let t_append = t0.elapsed();
        let verified = self.verify(session, work).await?;
        let t_verify = t0.elapsed();
        if self.shared.expunge.get() {
            self.remove(session, verified).await?;
        } else if let Some(purge) = &self.shared.purge {
            self.remove_by_move(session, purge, verified).await?;
        } else {
            self.keep(verified)?;
        }
        tracing::debug!(
            folder = self.folder.name,
            messages = items.len(),
            fetch_ms = t_fetch.as_millis() as u64,
            append_ms = (t_append - t_fetch).as_millis() as u64,
            verify_ms = (t_verify - t_append).as_millis() as u64,
            remove_ms = (t0.elapsed() - t_verify).as_millis() as u64,
            "batch timings"
        );
        Ok(())
    }

    fn name(&self) -> &str {
        &self.folder.name
    }

    /// Fetches the originals (`BODY.PEEK[]`: never sets `\Seen`; a whole
    /// `BODY[]` literal, its length checked against `RFC822.SIZE`) and
    /// journals their seal ids before anything is appended. Originals gone
    /// or marked `\Deleted` by another client meanwhile are settled here,
    /// and so are those whose wholeness could not be confirmed
    /// ([`confirm_whole`]): kept, reported as failed.
    async fn fetch<'i>(
        &mut self,
        session: &mut ImapSession,
        items: &'i [Item],
    ) -> anyhow::Result<Vec<Work<'i>>> {
        let (shared, folder) = (self.shared, self.folder);
        let name = folder.name.as_str();
        let uids: Vec<u32> = items.iter().map(|i| i.uid).collect();
        let mut fetched: HashMap<u32, FetchedMessage> = session
            .uid_fetch_many(&uids)
            .await
            .with_context(|| format!("fetching originals in {name:?}"))?
            .into_iter()
            .map(|m| (m.uid, m))
            .collect();
        let mut unconfirmed = confirm_whole(session, name, &mut fetched).await?;
        let mut work = Vec::new();
        let mut abandoned = Vec::new();
        for item in items {
            if let Some(reason) = unconfirmed.remove(&item.uid) {
                shared
                    .summary
                    .borrow_mut()
                    .fail(name, Some(item.uid), reason);
                self.settled.insert(item.uid);
                continue;
            }
            let mut row = shared
                .journal
                .planned(name, folder.uid_validity, item.uid, item.size);
            let Some(mut original) = fetched.remove(&item.uid) else {
                set(
                    &mut row,
                    JournalState::Abandoned,
                    "removed by another client before it was fetched",
                );
                abandoned.push(row);
                shared.summary.borrow_mut().folder(name).vanished += 1;
                self.settled.insert(item.uid);
                continue;
            };
            if shared.rotate {
                match super::rotate::unwrap(shared.keys, &shared.scope, original) {
                    super::rotate::Unwrapped::Current => {
                        // Sealed to the current generation already.
                        shared.summary.borrow_mut().folder(name).already_sealed += 1;
                        set(
                            &mut row,
                            JournalState::Abandoned,
                            "already of the current key generation",
                        );
                        abandoned.push(row);
                        self.settled.insert(item.uid);
                        continue;
                    }
                    super::rotate::Unwrapped::Original(m) => original = m,
                }
            }
            let sha256: [u8; 32] = Sha256::digest(&original.body).into();
            row.seal_id = Some(coffer_core::seal::seal_id_in(
                shared.keys,
                &shared.scope,
                &sha256,
            ));
            row.original_sha256 = Some(sha256);
            row.original_size = original.body.len() as u64;
            work.push(Work {
                item,
                row,
                sha256,
                legacy_id: coffer_core::seal::seal_id_of_sha256(shared.keys, &sha256),
                original,
                copy: None,
                copy_flags: Vec::new(),
            });
        }
        // A resumed original keeps its `verified` row until it is verified
        // again: that row is the only record that the \Deleted on it is
        // ours, so writing `planned` over it and being cut would leave it
        // looking like another client's deleted mail forever (found by the
        // fault campaign).
        shared
            .journal
            .write(abandoned.iter().chain(fresh_rows(&work)))?;
        Ok(work)
    }

    /// Gives each original a sealed copy: one this vault already has in the
    /// folder, one a previous run appended, or a new one — sealed, then the
    /// batch's new copies appended in one command. Journals `appended`.
    async fn seal_and_append(
        &mut self,
        session: &mut ImapSession,
        work: &mut Vec<Work<'_>>,
    ) -> anyhow::Result<()> {
        let mut pending: Vec<(usize, Sealed)> = Vec::new();
        for (i, w) in work.iter_mut().enumerate() {
            // A rotation never takes an old-generation id for a copy.
            let legacy = (!self.shared.rotate).then_some(w.legacy_id);
            let claimed = w
                .row
                .seal_id
                .and_then(|id| self.folder.claim(&id))
                .or_else(|| legacy.and_then(|id| self.folder.claim(&id)));
            let existing = match claimed {
                Some(uid) => Some(uid),
                None => find_copy(session, self.folder, w).await?,
            }
            // A message is never its own copy (a rotation replaces seals
            // with seals: the one being replaced must not stand in).
            .filter(|uid| *uid != w.uid());
            w.copy = existing.map(|uid| SealedCopy {
                uid,
                appended: None,
            });
            if w.copy.is_none() {
                match seal_copy(self.shared, self.folder, w) {
                    Some(sealed) => pending.push((i, sealed)),
                    None => {
                        self.settled.insert(w.uid());
                    }
                }
            }
        }
        append_sealed(session, self.folder, work, pending).await?;
        work.retain(|w| w.copy.is_some());
        for w in work.iter_mut() {
            if let Some(copy) = &w.copy {
                w.row.state = JournalState::Appended;
                w.row.appended_uid_validity = self.folder.uid_validity;
                w.row.appended_uid = copy.uid;
            }
        }
        self.shared.journal.write(fresh_rows(work))
    }

    /// Fetches the copies back and checks each ([`verify_copy`]); journals
    /// `verified`. A copy that fails keeps its original, reported.
    async fn verify<'i>(
        &mut self,
        session: &mut ImapSession,
        work: Vec<Work<'i>>,
    ) -> anyhow::Result<Vec<Work<'i>>> {
        let name = self.name().to_owned();
        let copy_uids: Vec<u32> = work
            .iter()
            .filter_map(|w| w.copy.as_ref().map(|c| c.uid))
            .collect();
        let mut copies: HashMap<u32, FetchedMessage> = session
            .uid_fetch_many(&copy_uids)
            .await
            .with_context(|| format!("fetching sealed copies back in {name:?}"))?
            .into_iter()
            .map(|m| (m.uid, m))
            .collect();
        let mut verified = Vec::new();
        for mut w in work {
            let Some(copy) = w.copy.take() else {
                continue;
            };
            let outcome = match copies.remove(&copy.uid) {
                Some(fetched) => {
                    w.copy_flags = fetched.flags;
                    verify_copy(
                        self.shared.keys,
                        &fetched.body,
                        copy.appended.as_deref(),
                        &w.sha256,
                    )
                }
                None => Err("the sealed copy vanished before it could be verified".to_owned()),
            };
            match outcome {
                Ok(()) => {
                    w.row.state = JournalState::Verified;
                    verified.push(w);
                }
                Err(reason) => {
                    self.shared.summary.borrow_mut().fail(
                        &name,
                        Some(w.uid()),
                        format!("{reason}; the original was kept"),
                    );
                    self.settled.insert(w.uid());
                }
            }
        }
        self.shared.journal.write(verified.iter().map(|w| &w.row))?;
        Ok(verified)
    }

    /// Without UIDPLUS, or with expunging off for the account: the verified
    /// copies stay, and so do their originals.
    fn keep(&mut self, mut verified: Vec<Work<'_>>) -> anyhow::Result<()> {
        let note = match self.shared.uidplus {
            false => "the server lacks UIDPLUS: original kept",
            true => "expunging is off for this account: original kept",
        };
        for w in &mut verified {
            set(&mut w.row, JournalState::Kept, note);
            self.settled.insert(w.uid());
        }
        self.shared.journal.write(verified.iter().map(|w| &w.row))?;
        self.index(verified.iter().map(|w| (w, kept_flags(&w.copy_flags))));
        emit_sealed(self.shared, self.name(), &verified, JournalState::Kept);
        let mut summary = self.shared.summary.borrow_mut();
        summary.folder(&self.folder.name).kept_originals += verified.len() as u64;
        Ok(())
    }

    /// Removes the originals of verified copies: re-check UIDVALIDITY, check
    /// the copies are still there, `UID STORE +FLAGS (\Deleted)`, carry over
    /// flags another client changed meanwhile, check the copies again (an
    /// original whose copy is gone has `\Deleted` taken off again), then
    /// `UID EXPUNGE` exactly those UIDs, watching that no other `\Deleted`
    /// message goes with them ([`BatchRun::expunge`]). The one place a
    /// plaintext original is removed. Journals each outcome.
    async fn remove(
        &mut self,
        session: &mut ImapSession,
        mut verified: Vec<Work<'_>>,
    ) -> anyhow::Result<()> {
        let shared = self.shared;
        let name = self.folder.name.as_str();
        let Some((originals, mut kept)) = self.start_removal(session, &verified).await? else {
            return Ok(());
        };
        let to_mark: Vec<u32> = originals
            .iter()
            .copied()
            .filter(|u| !kept.contains_key(u))
            .collect();
        let marked = session
            .uid_store_deleted_many(&to_mark)
            .await
            .with_context(|| format!("marking sealed originals \\Deleted in {name:?}"))?;
        for uid in carry_flag_changes(session, name, &verified, &marked).await? {
            kept.insert(uid, COPY_GONE);
        }
        let still_marked: Vec<&Work<'_>> = verified
            .iter()
            .filter(|w| marked.contains_key(&w.uid()) && !kept.contains_key(&w.uid()))
            .collect();
        for uid in copies_gone(session, name, &still_marked).await? {
            kept.insert(uid, COPY_GONE);
        }
        if !shared.expunge.get() {
            // Another worker caught the server expunging too much meanwhile.
            for uid in marked.keys() {
                kept.entry(*uid).or_insert(EXPUNGE_OFF);
            }
        }
        // \Deleted comes off every original that stays: this run's mark,
        // or a previous run's on a resumed one.
        let unmark: Vec<u32> = verified
            .iter()
            .filter(|w| kept.contains_key(&w.uid()))
            .filter(|w| marked.contains_key(&w.uid()) || w.item.resume)
            .map(Work::uid)
            .collect();
        unmark_deleted(session, name, &unmark).await?;
        let to_expunge: Vec<u32> = marked
            .keys()
            .copied()
            .filter(|u| !kept.contains_key(u))
            .collect();
        let left = self.expunge(session, &to_expunge).await?;
        self.settle_removal(&mut verified, |uid| {
            if let Some(reason) = kept.get(&uid) {
                // Still `verified` in the journal, without \Deleted: a
                // re-run finds no copy for it and seals it again.
                Removal::Kept((*reason).to_owned())
            } else if !marked.contains_key(&uid) {
                Removal::Vanished
            } else if left.contains(&uid) {
                Removal::Kept(
                    "still there after UID EXPUNGE (its verified sealed copy is beside it)"
                        .to_owned(),
                )
            } else {
                Removal::Removed
            }
        });
        self.finish_removal(&verified, &marked)
    }

    /// Records what became of each verified original at the end of a
    /// removal (`outcome` by UID): in the summary, and in its journal row.
    fn settle_removal(
        &mut self,
        verified: &mut [Work<'_>],
        mut outcome: impl FnMut(u32) -> Removal,
    ) {
        let name = self.folder.name.as_str();
        let mut summary = self.shared.summary.borrow_mut();
        for w in verified {
            let uid = w.uid();
            self.settled.insert(uid);
            match outcome(uid) {
                Removal::Kept(reason) => summary.fail(name, Some(uid), reason),
                Removal::Vanished => {
                    set(
                        &mut w.row,
                        JournalState::Abandoned,
                        "removed or moved by another client after it was sealed",
                    );
                    summary.folder(name).vanished += 1;
                }
                Removal::Removed => {
                    set(&mut w.row, JournalState::Deleted, "");
                    summary.folder(name).sealed += 1;
                    summary.bytes_sealed += w.size();
                }
            }
        }
    }

    /// The first steps of either removal: report the batch verified,
    /// SELECT its folder again and check its UIDVALIDITY, and note the
    /// originals whose copies are gone (they stay). `None`: nothing to do.
    async fn start_removal(
        &self,
        session: &mut ImapSession,
        verified: &[Work<'_>],
    ) -> anyhow::Result<Option<(Vec<u32>, HashMap<u32, &'static str>)>> {
        let name = self.folder.name.as_str();
        let originals: Vec<u32> = verified.iter().map(Work::uid).collect();
        if originals.is_empty() {
            return Ok(None);
        }
        self.shared.emit(SealProgress::BatchVerified {
            folder: name.to_owned(),
            uids: originals.clone(),
        });
        let status = session
            .select(name)
            .await
            .map_err(|e| FolderChanged(format!("the folder can no longer be opened ({e})")))?;
        check_validity(self.folder, status.uid_validity)?;
        // Originals that stay, and why.
        let mut kept: HashMap<u32, &'static str> = HashMap::new();
        let all: Vec<&Work<'_>> = verified.iter().collect();
        for uid in copies_gone(session, name, &all).await? {
            kept.insert(uid, COPY_GONE);
        }
        Ok(Some((originals, kept)))
    }

    /// The last steps of either removal: journal every outcome, index the
    /// originals removed with `flags` (what each had just before it went,
    /// which its copy took over), and report them sealed.
    fn finish_removal(
        &self,
        verified: &[Work<'_>],
        flags: &BTreeMap<u32, Vec<String>>,
    ) -> anyhow::Result<()> {
        self.shared.journal.write(verified.iter().map(|w| &w.row))?;
        if self.shared.rotate {
            self.forget_replaced(verified);
        }
        self.index(
            verified
                .iter()
                .filter(|w| w.row.state == JournalState::Deleted)
                .map(|w| (w, kept_flags(flags.get(&w.uid()).unwrap_or(&w.copy_flags)))),
        );
        emit_sealed(self.shared, self.name(), verified, JournalState::Deleted);
        Ok(())
    }
}

impl BatchRun<'_, '_> {
    /// Without UIDPLUS, with MOVE: removes the originals of verified copies
    /// by way of Coffer's own folder ([`super::purge`]). Re-check
    /// UIDVALIDITY, check the copies are still there, carry over flags
    /// another client changed meanwhile, check the copies again, then, one
    /// worker at a time, `UID MOVE` exactly those originals to the purge
    /// folder and purge it. Journals each outcome; an original moved but
    /// not removed keeps its `verified` row, which the next purge finishes.
    async fn remove_by_move(
        &mut self,
        session: &mut ImapSession,
        purge_state: &PurgeState,
        mut verified: Vec<Work<'_>>,
    ) -> anyhow::Result<()> {
        let shared = self.shared;
        let name = self.folder.name.as_str();
        let Some((originals, mut kept)) = self.start_removal(session, &verified).await? else {
            return Ok(());
        };
        let flags = session
            .uid_flags_many(&originals)
            .await
            .with_context(|| format!("reading sealed originals' flags in {name:?}"))?;
        for uid in carry_flag_changes(session, name, &verified, &flags).await? {
            kept.insert(uid, COPY_GONE);
        }
        let still: Vec<&Work<'_>> = verified
            .iter()
            .filter(|w| flags.contains_key(&w.uid()) && !kept.contains_key(&w.uid()))
            .collect();
        for uid in copies_gone(session, name, &still).await? {
            kept.insert(uid, COPY_GONE);
        }
        // A resumed original carries a \Deleted an earlier run set.
        let unmark: Vec<u32> = verified
            .iter()
            .filter(|w| kept.contains_key(&w.uid()) && w.item.resume)
            .map(Work::uid)
            .collect();
        unmark_deleted(session, name, &unmark).await?;
        let to_move: Vec<u32> = originals
            .iter()
            .copied()
            .filter(|u| flags.contains_key(u) && !kept.contains_key(u))
            .collect();
        let _turn = purge_state.lock.lock().await;
        // Waiting for the turn may have taken a while (another worker's
        // purge): the copies are checked once more, right before the MOVE.
        let waiting: Vec<&Work<'_>> = verified
            .iter()
            .filter(|w| to_move.contains(&w.uid()))
            .collect();
        let gone_meanwhile = copies_gone(session, name, &waiting).await?;
        for uid in &gone_meanwhile {
            kept.insert(*uid, COPY_GONE);
        }
        let to_move: Vec<u32> = to_move
            .into_iter()
            .filter(|u| !gone_meanwhile.contains(u))
            .collect();
        // Moved in but not removed, should anything below fail: the run
        // purges again at its end.
        purge_state.unfinished.set(true);
        let not_moved: HashSet<u32> = session
            .uid_move_many(&to_move, super::purge::FOLDER)
            .await
            .with_context(|| {
                format!(
                    "moving sealed originals from {name:?} to {:?}",
                    super::purge::FOLDER
                )
            })?
            .into_iter()
            .collect();
        let mut removable = super::purge::Removable::new();
        for w in verified.iter().filter(|w| to_move.contains(&w.uid())) {
            if !not_moved.contains(&w.uid()) {
                *removable.entry(w.sha256).or_default() += 1;
            }
        }
        let purged = super::purge::purge(session, &shared.journal, removable).await;
        if purged.is_ok() {
            purge_state.unfinished.set(false);
        }
        drop(_turn);
        // A failed purge is reported on each original it leaves, and then
        // returned, so that the worker starts over on a fresh session.
        let (mut removed, purge_error) = match purged {
            Ok(p) => (p.removed, None),
            Err(error) => (super::purge::Removable::new(), Some(error)),
        };
        let why = purge_error
            .as_ref()
            .map(|e| format!(" ({e:#})"))
            .unwrap_or_default();
        let sha: HashMap<u32, [u8; 32]> = verified.iter().map(|w| (w.uid(), w.sha256)).collect();
        self.settle_removal(&mut verified, |uid| {
            if let Some(reason) = kept.get(&uid) {
                Removal::Kept((*reason).to_owned())
            } else if !flags.contains_key(&uid) {
                Removal::Vanished
            } else if not_moved.contains(&uid) {
                Removal::Kept(
                    "still there after UID MOVE (its verified sealed copy is beside it)".to_owned(),
                )
            } else if sha
                .get(&uid)
                .is_some_and(|sha| super::purge::take(&mut removed, sha))
            {
                Removal::Removed
            } else {
                purge_state.unfinished.set(true);
                Removal::Kept(format!(
                    "moved to {:?} but not removed there yet{why}; its verified sealed copy is in \
                     place, and the purge is tried again at the end of the run and at the start \
                     of the next",
                    super::purge::FOLDER
                ))
            }
        });
        self.finish_removal(&verified, &flags)?;
        purge_error.map_or(Ok(()), Err)
    }

    /// A rotation removed old seals: their index rows go (the new seals'
    /// rows are written next).
    fn forget_replaced(&self, done: &[Work<'_>]) {
        let store = self.shared.journal.store();
        let gone: HashSet<u32> = done
            .iter()
            .filter(|w| w.row.state == JournalState::Deleted)
            .map(Work::uid)
            .collect();
        let rows = match store.index_rows_of(self.shared.journal.account(), self.name()) {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "cannot read the index to forget replaced seals");
                return;
            }
        };
        let ids: Vec<i64> = rows
            .iter()
            .filter(|r| r.uid_validity == self.folder.uid_validity && gone.contains(&r.uid))
            .map(|r| r.id)
            .collect();
        if let Err(error) = store.index_remove(&ids) {
            tracing::warn!(%error, "cannot forget replaced seals in the index (sync will)");
        }
    }

    /// Indexes the originals of verified copies, from the bytes in hand, in
    /// one transaction; each with the flags its copy has now.
    fn index<'w>(&self, done: impl Iterator<Item = (&'w Work<'w>, Vec<String>)>) {
        let sealed: Vec<crate::index::SealedOriginal<'_>> = done
            .filter_map(|(w, flags)| {
                Some(crate::index::SealedOriginal {
                    place: CopyPlace {
                        account: self.shared.conn.name.clone(),
                        folder: self.folder.name.clone(),
                        uid_validity: self.folder.uid_validity,
                        uid: w.row.appended_uid,
                    },
                    seal_id: w.row.seal_id?,
                    sealed_folder: &self.folder.name,
                    flags,
                    internaldate: w.original.internaldate,
                    original: &w.original.body,
                })
            })
            .collect();
        crate::index::record_many(self.shared.journal.store(), &sealed);
    }

    /// `UID EXPUNGE` of `uids`, and the UIDs still there after it. The other
    /// messages marked `\Deleted` in the folder are noted first; when every
    /// one of them went too, the server treats `UID EXPUNGE` as a bare
    /// `EXPUNGE`: expunging stops, for this run and for the account.
    async fn expunge(
        &mut self,
        session: &mut ImapSession,
        uids: &[u32],
    ) -> anyhow::Result<HashSet<u32>> {
        if uids.is_empty() {
            return Ok(HashSet::new());
        }
        let name = self.folder.name.as_str();
        let ours = self.shared.ours.get(name);
        let watch = bare_expunge::Watch::before(session, |u| {
            uids.contains(&u) || ours.is_some_and(|o| o.contains(&u))
        })
        .await?;
        let left = session
            .uid_expunge_many(uids)
            .await
            .with_context(|| format!("removing sealed originals in {name:?}"))?
            .into_iter()
            .collect();
        if let Some(gone) = watch.all_gone(session).await? {
            self.caught_bare_expunge(&gone);
        }
        Ok(left)
    }

    /// The server removed `gone` (other clients' `\Deleted` mail) along
    /// with the originals: stop the folder, and expunge no more on this
    /// account, in this run or any later one, until the user allows it.
    fn caught_bare_expunge(&self, gone: &[u32]) {
        let shared = self.shared;
        let account = shared.conn.name.as_str();
        let name = self.name();
        shared.expunge.set(false);
        let finding = bare_expunge::finding(name, gone);
        let mut message = bare_expunge::alarm(account, &finding);
        if let Err(error) = bare_expunge::refuse(shared.journal.store(), account, &finding) {
            message.push_str(&format!(
                " (COULD NOT BE RECORDED: {error:#}; later runs will expunge again)"
            ));
        }
        tracing::error!(
            folder = name,
            ?gone,
            "UID EXPUNGE removed other clients' mail"
        );
        shared.summary.borrow_mut().fail(name, None, message);
        shared.stop(
            name,
            "the server removed other clients' \\Deleted mail on UID EXPUNGE; expunging is \
             off for this account (see the failure reported)",
        );
    }
}

/// Checks that each original fetched is whole. Its body came as one
/// complete `BODY[]` literal (`coffer-net` refuses a partial reply); when
/// its length differs from the `RFC822.SIZE` served with it, it may have
/// been cut on its way — or the server reports estimated sizes, as
/// Exchange does unless configured otherwise. Those are fetched a second
/// time and taken only when the bytes are identical. Returns the originals
/// that could not be confirmed, with the reason, removed from `fetched`:
/// they stay on the server untouched.
async fn confirm_whole(
    session: &mut ImapSession,
    folder: &str,
    fetched: &mut HashMap<u32, FetchedMessage>,
) -> anyhow::Result<HashMap<u32, String>> {
    let mut mismatched: Vec<u32> = fetched
        .values()
        .filter(|m| !m.size_matches())
        .map(|m| m.uid)
        .collect();
    let mut refused = HashMap::new();
    if mismatched.is_empty() {
        return Ok(refused);
    }
    mismatched.sort_unstable();
    let mut again: HashMap<u32, FetchedMessage> = session
        .uid_fetch_many(&mismatched)
        .await
        .with_context(|| format!("fetching originals again to confirm their size in {folder:?}"))?
        .into_iter()
        .map(|m| (m.uid, m))
        .collect();
    for uid in mismatched {
        let Some(first) = fetched.remove(&uid) else {
            continue;
        };
        let (got, declared) = (first.body.len(), first.size);
        match again.remove(&uid) {
            Some(second) if second.body == first.body => {
                tracing::info!(
                    folder,
                    uid,
                    got,
                    declared,
                    "a body differs from its declared size but came back identical: the \
                     server's size is an estimate"
                );
                fetched.insert(uid, first);
            }
            Some(second) => {
                refused.insert(
                    uid,
                    format!(
                        "its body ({got} bytes) did not match the size the server declared \
                         ({declared} bytes), and a second fetch returned different bytes \
                         ({} bytes): it may have been cut on its way; the original was kept",
                        second.body.len()
                    ),
                );
            }
            None => {
                refused.insert(
                    uid,
                    format!(
                        "its body ({got} bytes) did not match the size the server declared \
                         ({declared} bytes), and a second fetch did not return it; the \
                         original was kept"
                    ),
                );
            }
        }
    }
    Ok(refused)
}

/// The rows of originals that are not being resumed (a resumed one keeps
/// its `verified` row until it is verified again; see [`BatchRun::fetch`]).
fn fresh_rows<'w>(work: &'w [Work<'_>]) -> impl Iterator<Item = &'w JournalRow> {
    work.iter().filter(|w| !w.item.resume).map(|w| &w.row)
}

/// Why an original with a verified copy stays: its copy is gone.
const COPY_GONE: &str = "its sealed copy vanished before the original was removed; the original was kept, \
     without \\Deleted";

/// Why an original with a verified copy stays: expunging was turned off.
const EXPUNGE_OFF: &str = "expunging was turned off for this account during the run (see the \
     failure reported for the folder); the original was kept, without \\Deleted";

/// The originals among `works` whose sealed copy no longer exists.
async fn copies_gone(
    session: &mut ImapSession,
    folder: &str,
    works: &[&Work<'_>],
) -> anyhow::Result<Vec<u32>> {
    let copies: Vec<u32> = works.iter().map(|w| w.row.appended_uid).collect();
    let present: HashSet<u32> = session
        .uids_present(&copies)
        .await
        .with_context(|| format!("checking the sealed copies are still there in {folder:?}"))?
        .into_iter()
        .collect();
    Ok(works
        .iter()
        .filter(|w| !present.contains(&w.row.appended_uid))
        .map(|w| w.uid())
        .collect())
}

/// Takes `\Deleted` off originals that stay: none is left marked
/// without a copy beside it.
async fn unmark_deleted(
    session: &mut ImapSession,
    folder: &str,
    uids: &[u32],
) -> anyhow::Result<()> {
    let deleted = ["\\Deleted".to_owned()];
    for &uid in uids {
        let now = session
            .uid_change_flags(uid, &[], &deleted)
            .await
            .with_context(|| format!("taking \\Deleted off an original in {folder:?}"))?;
        if now.is_some_and(|flags| has_flag(&flags, "\\Deleted")) {
            anyhow::bail!(
                "the server did not take \\Deleted off UID {uid} in {folder:?}, whose sealed \
                 copy is gone: do not expunge this folder from another client"
            );
        }
    }
    Ok(())
}

/// Another client may have changed an original's flags (read it, flagged
/// it) since its copy was made: the copy takes the changes over before the
/// original goes, its other flags left alone. `marked` holds the originals'
/// flags as read back after marking them `\\Deleted`. Returns the originals
/// whose copy turned out to be gone: they must not be removed.
async fn carry_flag_changes(
    session: &mut ImapSession,
    folder: &str,
    verified: &[Work<'_>],
    marked: &BTreeMap<u32, Vec<String>>,
) -> anyhow::Result<HashSet<u32>> {
    let mut gone = HashSet::new();
    for w in verified {
        let Some(now) = marked.get(&w.item.uid) else {
            continue;
        };
        let (original, copy) = (
            flag_set(&kept_flags(now)),
            flag_set(&kept_flags(&w.copy_flags)),
        );
        if original == copy {
            continue;
        }
        let add: Vec<String> = kept_flags(now)
            .into_iter()
            .filter(|f| !copy.contains(&f.to_ascii_lowercase()))
            .collect();
        let remove: Vec<String> = kept_flags(&w.copy_flags)
            .into_iter()
            .filter(|f| !original.contains(&f.to_ascii_lowercase()))
            .collect();
        tracing::info!(
            folder,
            uid = w.item.uid,
            copy = w.row.appended_uid,
            ?add,
            ?remove,
            "another client changed the original's flags; the sealed copy takes the change over"
        );
        let exists = session
            .uid_change_flags(w.row.appended_uid, &add, &remove)
            .await
            .with_context(|| {
                format!("carrying flag changes over to a sealed copy in {folder:?}")
            })?;
        if exists.is_none() {
            gone.insert(w.item.uid);
        }
    }
    Ok(gone)
}

/// The flags a sealed copy is given: the original's, without `\\Recent`
/// (the server's) and without `\\Deleted` (ours, or another client's
/// decision about the original, never about the copy).
fn kept_flags(flags: &[String]) -> Vec<String> {
    flags
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent") && !f.eq_ignore_ascii_case("\\Deleted"))
        .cloned()
        .collect()
}

/// Flags compare without regard to case or order.
fn flag_set(flags: &[String]) -> BTreeSet<String> {
    flags.iter().map(|f| f.to_ascii_lowercase()).collect()
}

/// Reports each original that reached `state`, after the journal has it.
fn emit_sealed(shared: &Shared<'_>, folder: &str, done: &[Work<'_>], state: JournalState) {
    for w in done.iter().filter(|w| w.row.state == state) {
        shared.emit(SealProgress::Sealed {
            folder: folder.to_owned(),
            uid: w.uid(),
            internaldate: w.original.internaldate,
            original_removed: state == JournalState::Deleted,
        });
    }
}

/// A copy a previous run may have appended after this run's plan was made
/// (the journal has its seal id but no verified copy): look it up by header.
async fn find_copy(
    session: &mut ImapSession,
    folder: &FolderPlan,
    w: &Work<'_>,
) -> anyhow::Result<Option<u32>> {
    let Some(prior) = w.item.prior_seal_id else {
        return Ok(None);
    };
    if Some(prior) != w.row.seal_id && prior != w.legacy_id {
        return Ok(None);
    }
    let found = session
        .uid_search_header(SEAL_ID_HEADER, &prior.to_string())
        .await
        .context("looking for a sealed copy from a previous run")?;
    // Whatever is found is verified below like a fresh copy.
    Ok(folder.claim_any(&found))
}

/// A sealed copy waiting to be appended.
struct Sealed {
    flags: Vec<String>,
    internaldate: i64,
    bytes: Vec<u8>,
}

/// Seals `body` with the original's flags and INTERNALDATE. `None` when
/// this original cannot be sealed (recorded as skipped).
fn seal_copy(shared: &Shared<'_>, folder: &FolderPlan, w: &Work<'_>) -> Option<Sealed> {
    let message = &w.original;
    let name = folder.name.as_str();
    // A resumed original carries the \\Deleted this vault set: not the
    // copy's. One another client marked \\Deleted passes it on to its copy,
    // so that client's expunge removes the copy (never Coffer).
    let flags = match w.item.resume {
        true => kept_flags(&message.flags),
        false => message
            .flags
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
            .cloned()
            .collect(),
    };
    let skip = |reason: String| {
        shared
            .summary
            .borrow_mut()
            .skip(name, w.uid(), w.size(), reason);
        None
    };
    let internaldate = match InternalDate::new(message.internaldate, 0) {
        Ok(d) => d,
        Err(e) => return skip(format!("its INTERNALDATE cannot be sealed: {e}")),
    };
    let manifest_folder = coffer_core::seal::manifest_folder(name);
    let input = SealInput {
        folder: &manifest_folder,
        flags: &flags,
        internaldate,
        original: &message.body,
    };
    match coffer_core::seal::seal_in(shared.keys, &shared.scope, &input, &mut rand::rngs::OsRng) {
        Ok(bytes) => Some(Sealed {
            flags,
            internaldate: message.internaldate,
            bytes,
        }),
        Err(e) => skip(e.to_string()),
    }
}

/// APPENDs the sealed copies (one MULTIAPPEND where the server offers it:
/// all or none) and records in each `work` entry where its copy went.
async fn append_sealed(
    session: &mut ImapSession,
    folder: &FolderPlan,
    work: &mut [Work<'_>],
    pending: Vec<(usize, Sealed)>,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let name = folder.name.as_str();
    let messages: Vec<ToAppend<'_>> = pending
        .iter()
        .map(|(_, s)| ToAppend {
            flags: &s.flags,
            internaldate: s.internaldate,
            message: &s.bytes,
        })
        .collect();
    let placed = session
        .append_many(name, &messages)
        .await
        .with_context(|| format!("appending sealed copies to {name:?}"))?;
    drop(messages);
    // Without APPENDUID each copy is found by its seal id. Identical
    // originals share one: their copies are handed out oldest first, in the
    // order they were appended, each once.
    let mut found: HashMap<SealId, Vec<u32>> = HashMap::new();
    for ((i, sealed), place) in pending.into_iter().zip(placed) {
        let Some(w) = work.get_mut(i) else {
            continue;
        };
        let uid = match place {
            Some(p) => {
                check_validity(folder, p.uid_validity)?;
                p.uid
            }
            None => {
                let id = w
                    .row
                    .seal_id
                    .context("an appended copy without a seal id")?;
                let candidates = match found.entry(id) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(slot) => {
                        let mut uids = session
                            .uid_search_header(SEAL_ID_HEADER, &id.to_string())
                            .await
                            .context("locating the appended copy")?;
                        uids.sort_unstable();
                        slot.insert(uids)
                    }
                };
                folder
                    .claim_oldest(candidates)
                    .context("the server accepted the sealed copy but cannot find it")?
            }
        };
        w.copy = Some(SealedCopy {
            uid,
            appended: Some(sealed.bytes),
        });
    }
    Ok(())
}

fn has_flag(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}
