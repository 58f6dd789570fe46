//! Sealing an account: every folder ends up holding only sealed copies, and nothing is lost.
//!
//! The safe path (`../shared/DESIGN.md`, "Sealing a folder"), per original:
//! plan → fetch (`BODY.PEEK[]`, a whole literal matching `RFC822.SIZE` or
//! fetched twice identical) → seal → APPEND with the original's flags and
//! INTERNALDATE → fetch the copy back, compare, decrypt, compare the
//! original's SHA-256 → re-check UIDVALIDITY → check the copy still exists
//! → `UID STORE +FLAGS (\Deleted)` → check the copy again (else take
//! `\Deleted` off) → `UID EXPUNGE` of that UID only, watching that no other
//! `\Deleted` message goes with it → confirm. A journal row is committed
//! before each step ([`journal`]).
//!
//! Throughput comes from batches (one FETCH for many originals, one for
//! their copies, one STORE and one UID EXPUNGE per batch; one journal
//! transaction per step per batch) and a few workers with their own IMAP
//! sessions. Memory is bounded by a budget of message bytes in flight,
//! never by the size of a folder.
//!
//! * [`plan`] — list a folder, recognise this vault's seals, batch the rest;
//! * [`worker`] — the safe path for one batch, on a worker's own session;
//! * [`verify`] — checking a copy fetched back;
//! * [`bare_expunge`] — catching a server whose `UID EXPUNGE` removes more;
//! * [`purge`] — without UIDPLUS: MOVE to Coffer's folder, EXPUNGE there;
//! * [`journal`] — the journal rows;
//! * [`summary`] and [`progress`] — what the caller sees.

mod bare_expunge;
mod control;
mod journal;
mod plan;
mod progress;
mod purge;
mod rotate;
mod summary;
mod verify;
mod worker;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use anyhow::Context as _;
use tokio::sync::Semaphore;

pub use control::SealControl;
pub use progress::SealProgress;
pub use purge::FOLDER as PURGE_FOLDER;
pub use rotate::RotateSummary;
pub use summary::{Failed, FolderSummary, NotOurs, Outcome, SealSummary, Skipped, WouldSeal};

use crate::Vault;
use crate::accounts::Connection;
use coffer_net::ImapSession;

/// How to run `seal`.
#[derive(Debug, Clone)]
pub struct SealOptions {
    /// Folders to seal; empty means every selectable folder.
    pub folders: Vec<String>,
    /// Only plan and report; change nothing (no journal rows either).
    pub dry_run: bool,
    /// Originals larger than this are skipped with a reason.
    pub max_message_bytes: u64,
    /// Parallel IMAP sessions doing the work.
    pub workers: usize,
    /// Most originals in one batch.
    pub batch_messages: usize,
    /// Most bytes of originals in one batch (a larger message goes alone).
    pub batch_bytes: u64,
    /// Bytes of message data all workers may hold at once (a single
    /// message larger than this still goes through, alone).
    pub memory_budget_bytes: u64,
    /// Pause and cancel between batches (the app's buttons).
    pub control: Option<std::sync::Arc<SealControl>>,
    /// Key rotation (`Vault::rotate`): this vault's seals of older key
    /// generations are taken as originals too, opened, and sealed anew to
    /// the current generation and recipients, by the same safe path.
    pub rotate: bool,
}

impl Default for SealOptions {
    fn default() -> Self {
        Self {
            folders: Vec::new(),
            dry_run: false,
            // A sealed copy is at most ~1.55 × its original (padding and
            // base64) and must be fetched back within the 64 MiB response
            // limit (coffer_net::Limits).
            max_message_bytes: 40 * 1024 * 1024,
            workers: 3,
            batch_messages: 100,
            batch_bytes: 4 * 1024 * 1024,
            memory_budget_bytes: 128 * 1024 * 1024,
            control: None,
            rotate: false,
        }
    }
}

/// Why a Gmail account is refused (issue 14 brings a Gmail mode).
pub const GMAIL: &str = "this is a Gmail account (the server announces X-GM-EXT-1), and Coffer \
                         cannot seal it safely yet: on Gmail a folder is a label, and removing a \
                         message from INBOX or any other folder leaves the plaintext in All Mail, \
                         so sealing would seem to succeed while the provider kept every message \
                         readable. Nothing was changed. See docs/PROVIDERS.md";

/// Said once per run when originals cannot be removed.
const NO_UIDPLUS: &str = "the server supports neither UIDPLUS nor MOVE, so originals cannot be \
                          removed safely (a bare EXPUNGE would also remove mail other clients \
                          marked deleted): sealed copies were made and verified, and the \
                          plaintext originals were KEPT on the server";

/// How a run removes plaintext originals once their sealed copies are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    /// `UID EXPUNGE` of exactly the originals' UIDs (UIDPLUS).
    #[default]
    UidExpunge,
    /// No UIDPLUS but MOVE: moved to Coffer's own folder
    /// ([`PURGE_FOLDER`]) and removed there by a bare `EXPUNGE`, after a
    /// check proves only verified originals are in it.
    MoveToPurge,
    /// Originals kept: neither UIDPLUS nor MOVE, or expunging turned off
    /// for the account after the server was caught expunging too much.
    Keep,
}

impl Deletion {
    /// The path for a server offering `uidplus` and `move_`, with expunging
    /// `refused` or not for the account.
    pub fn choose(uidplus: bool, move_: bool, refused: bool) -> Self {
        match (uidplus, move_) {
            (true, _) if !refused => Deletion::UidExpunge,
            (true, _) => Deletion::Keep,
            (false, true) => Deletion::MoveToPurge,
            (false, false) => Deletion::Keep,
        }
    }

    /// One sentence for people.
    pub fn describe(self) -> String {
        match self {
            Deletion::UidExpunge => "originals are removed with UID EXPUNGE of exactly their \
                                     UIDs (UIDPLUS), after their sealed copies are verified"
                .to_owned(),
            Deletion::MoveToPurge => format!(
                "the server lacks UIDPLUS but has MOVE: verified originals are moved to the \
                 folder {PURGE_FOLDER:?}, which Coffer owns, and removed there by EXPUNGE after \
                 a check that only they are in it"
            ),
            Deletion::Keep => "originals are KEPT on the server: sealed copies are made and \
                               verified beside them"
                .to_owned(),
        }
    }

    /// Whether originals are removed on this path.
    pub fn removes(self) -> bool {
        self != Deletion::Keep
    }
}

impl Vault {
    /// Seals every folder of `account` (or the only account), or those in
    /// `options.folders`. Re-running converges: seals already there are
    /// counted, never duplicated. Errors about one message or one folder
    /// are in the summary; an `Err` means the run could not start or
    /// plan (login, listing folders, the database), or another run holds
    /// the account ([`crate::VaultError::AccountBusy`]).
    #[tracing::instrument(skip_all, fields(account = account.unwrap_or("")))]
    pub async fn seal(
        &self,
        account: Option<&str>,
        options: &SealOptions,
        progress: impl FnMut(SealProgress),
    ) -> anyhow::Result<SealSummary> {
        let conn = self.connection(account)?;
        // A dry run changes nothing and may look while another run works.
        let _lock = match options.dry_run {
            true => None,
            false => Some(self.lock_account(&conn.name)?),
        };
        self.seal_locked(&conn, options, progress).await
    }

    /// [`Vault::seal`] for a caller that holds the account's lock: plan
    /// every folder on one session, then let the workers take the batches.
    pub(crate) async fn seal_locked(
        &self,
        conn: &Connection<'_>,
        options: &SealOptions,
        mut progress: impl FnMut(SealProgress),
    ) -> anyhow::Result<SealSummary> {
        let started = Instant::now();
        let mut session = conn.connect().await?;
        if session
            .is_gmail()
            .await
            .context("reading the server's capabilities")?
        {
            if let Err(error) = session.logout().await {
                tracing::debug!(%error, "logout after refusing Gmail failed");
            }
            return Err(crate::refusal(crate::Code::NotSupported, GMAIL));
        }
        let uidplus = session
            .has_uidplus()
            .await
            .context("reading the server's capabilities")?;
        let move_ = session
            .has_move()
            .await
            .context("reading the server's capabilities")?;
        let refusal = bare_expunge::refused(self.store(), &conn.name)?;
        let deletion = Deletion::choose(uidplus, move_, refusal.is_some());
        let mut summary = SealSummary::new(&conn.name, options.dry_run, uidplus, deletion);
        if !uidplus && !move_ {
            summary.warnings.push(NO_UIDPLUS.to_owned());
        }
        if let Some(why) = &refusal
            && uidplus
        {
            summary
                .warnings
                .push(bare_expunge::warning(&conn.name, why));
        }
        // The organisation's profile caps the size limit and names folders
        // left unsealed; a run may be stricter, never laxer.
        let policy = self.org_policy()?;
        let mut options = options.clone();
        if let Some(max) = policy.max_message_bytes {
            options.max_message_bytes = options.max_message_bytes.min(max);
        }
        let options = &options;
        if options.rotate && deletion != Deletion::UidExpunge {
            if let Err(error) = session.logout().await {
                tracing::debug!(%error, "logout after refusing a rotation failed");
            }
            return Err(crate::refusal(
                crate::Code::CapabilityMissing,
                "rotation replaces every old seal with a new one, removing each with UID \
                 EXPUNGE, which this server does not offer (no UIDPLUS, or expunging is off \
                 for the account); rotating by way of the MOVE path is not in this version: \
                 nothing was changed",
            ));
        }
        let journal = journal::Journal::new(self.store(), &conn.name);
        let mut deletion = deletion;
        if move_ && !options.dry_run && !options.rotate {
            // What an interrupted run left in Coffer's folder goes first,
            // whatever the path now (a server may have gained UIDPLUS).
            let leftovers = match deletion {
                Deletion::MoveToPurge => purge::ensure_folder(&mut session).await.map(|()| true),
                _ => purge::exists(&mut session).await,
            };
            let purged = match leftovers {
                Ok(true) => purge::purge(&mut session, &journal, purge::Removable::new())
                    .await
                    .map(Some),
                Ok(false) => Ok(None),
                Err(e) => Err(e),
            };
            match purged {
                Ok(Some(p)) => note_purge(&mut summary, &p),
                Ok(None) => {}
                Err(error) => {
                    // Never a reason to stop sealing: this run keeps its
                    // originals, and the next one tries the folder again.
                    summary.warnings.push(format!(
                        "Coffer's folder {PURGE_FOLDER:?} could not be emptied ({error:#}); \
                         this run makes and verifies sealed copies but keeps the originals"
                    ));
                    if deletion == Deletion::MoveToPurge {
                        deletion = Deletion::Keep;
                    }
                }
            }
        }
        summary.deletion = deletion;
        let queue = self
            .plan_all(&mut session, &journal, options, &mut summary, &mut progress)
            .await?;
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after planning failed");
        }
        if !options.dry_run && !queue.is_empty() {
            let workers = options.workers.clamp(1, queue.len());
            let memory_kib = u32::try_from(options.memory_budget_bytes / 1024)
                .unwrap_or(u32::MAX)
                .max(1024);
            let mut ours = bare_expunge::Ours::new();
            for batch in &queue {
                ours.entry(batch.folder.name.clone())
                    .or_default()
                    .extend(batch.items.iter().map(|i| i.uid));
            }
            let shared = worker::Shared {
                keys: self.keys(),
                journal,
                conn,
                scope: conn.scope(),
                uidplus,
                rotate: options.rotate,
                expunge: Cell::new(deletion == Deletion::UidExpunge),
                purge: (deletion == Deletion::MoveToPurge).then(|| worker::PurgeState {
                    lock: tokio::sync::Mutex::new(()),
                    unfinished: Cell::new(false),
                }),
                ours,
                queue: RefCell::new(queue),
                summary: RefCell::new(&mut summary),
                progress: RefCell::new(&mut progress),
                memory: Semaphore::new(memory_kib as usize),
                memory_kib,
                control: options.control.as_deref(),
            };
            futures::future::join_all((0..workers).map(|_| worker::worker(&shared))).await;
            let unfinished = shared.purge.as_ref().is_some_and(|p| p.unfinished.get());
            drop(shared);
            if unfinished {
                self.purge_again(conn, &mut summary).await;
            }
        }
        summary.cancelled = options.control.as_ref().is_some_and(|c| c.is_cancelled());
        summary.finish(started.elapsed().as_secs_f64());
        Ok(summary)
    }

    /// A batch could not finish its purge: try once more on a fresh
    /// session, so that the folder holds no plaintext after the run.
    async fn purge_again(&self, conn: &Connection<'_>, summary: &mut SealSummary) {
        let journal = journal::Journal::new(self.store(), &conn.name);
        let result = async {
            let mut session = conn.connect().await?;
            let purged = purge::purge(&mut session, &journal, purge::Removable::new()).await?;
            if let Err(error) = session.logout().await {
                tracing::debug!(%error, "logout after purging failed");
            }
            anyhow::Ok(purged)
        }
        .await;
        match result {
            Ok(purged) => note_purge(summary, &purged),
            Err(error) => summary.warnings.push(format!(
                "verified originals are left in {PURGE_FOLDER:?} ({error:#}); their sealed copies \
                 are in place, and the next run removes them"
            )),
        }
    }

    /// Plans every chosen folder ([`plan::plan_folder`]) and queues its
    /// batches, reporting each folder and then the totals.
    async fn plan_all(
        &self,
        session: &mut ImapSession,
        journal: &journal::Journal<'_>,
        options: &SealOptions,
        summary: &mut SealSummary,
        progress: &mut impl FnMut(SealProgress),
    ) -> anyhow::Result<VecDeque<worker::Batch>> {
        let mut folders = crate::folders::choose(session, &options.folders).await?;
        // Coffer's own folder is emptied by the purge, never sealed; the
        // profile's unsealed folders are left as they are.
        let unsealed = self.org_policy()?.unsealed_folders;
        folders.retain(|f| f != PURGE_FOLDER && !unsealed.contains(f));
        let mut queue = VecDeque::new();
        let (mut messages, mut bytes) = (0u64, 0u64);
        for folder in &folders {
            let planned =
                plan::plan_folder(session, self.keys(), journal, folder, options, summary)
                    .await
                    .with_context(|| format!("planning folder {folder:?}"))?;
            let to_seal: u64 = planned.batches.iter().map(|b| b.len() as u64).sum();
            messages += to_seal;
            bytes += planned
                .batches
                .iter()
                .flatten()
                .map(|i| i.size)
                .sum::<u64>();
            progress(SealProgress::FolderPlanned {
                folder: folder.clone(),
                to_seal,
                already_sealed: summary.folder(folder).already_sealed,
            });
            let shared = Rc::new(planned.folder);
            queue.extend(planned.batches.into_iter().map(|items| worker::Batch {
                folder: Rc::clone(&shared),
                items,
            }));
        }
        progress(SealProgress::Planned {
            folders: folders.len(),
            messages,
            bytes,
        });
        Ok(queue)
    }
}

/// Tells the user what a purge at the start or end of a run finished.
fn note_purge(summary: &mut SealSummary, purged: &purge::Purged) {
    if purged.finished > 0 {
        summary.warnings.push(format!(
            "{} verified original(s) an interrupted run had moved to {PURGE_FOLDER:?} were \
             removed there",
            purged.finished
        ));
    }
    if purged.moved_out > 0 {
        summary.warnings.push(format!(
            "{} message(s) in {PURGE_FOLDER:?} that were not verified originals were moved \
             back out (to their folder, or INBOX), not removed",
            purged.moved_out
        ));
    }
}
