//! What a sealing run did, per folder and in all: the one-line summary, the JSON, the exit status.

use std::collections::BTreeMap;

use serde::Serialize;

/// A message left unsealed on purpose, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its folder.
    pub folder: String,
    /// Its UID.
    pub uid: u32,
    /// Its size in bytes.
    pub size: u64,
    /// Why it was left alone.
    pub reason: String,
}

/// A sealed-looking message this vault did not make (or cannot verify):
/// never counted as sealed, and sealed like any other message (its bytes
/// kept exactly inside this vault's seal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotOurs {
    /// Its folder.
    pub folder: String,
    /// Its UID.
    pub uid: u32,
    /// What is wrong with it.
    pub reason: String,
}

/// Something that went wrong; the original is still on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    /// The folder.
    pub folder: String,
    /// The original's UID, when one message failed (none: the whole folder).
    pub uid: Option<u32>,
    /// The error.
    pub error: String,
}

/// A message that `--dry-run` would seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WouldSeal {
    /// Its folder.
    pub folder: String,
    /// Its UID.
    pub uid: u32,
    /// Its size in bytes.
    pub size: u64,
}

/// Counts for one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FolderSummary {
    /// The folder.
    pub folder: String,
    /// Its UIDVALIDITY when planned.
    pub uid_validity: u32,
    /// Plaintext originals planned for sealing.
    pub planned: u64,
    /// Originals replaced by a verified sealed copy (original removed).
    pub sealed: u64,
    /// Verified sealed copies made whose originals were kept (no UIDPLUS, or
    /// expunging off for the account).
    pub kept_originals: u64,
    /// Seals of this vault found already there.
    pub already_sealed: u64,
    /// Originals another client removed or moved during the run.
    pub vanished: u64,
    /// Messages left unsealed on purpose.
    pub skipped: u64,
    /// Sealed-looking messages this vault did not make (sealed as they are).
    pub not_ours: u64,
    /// Messages that failed.
    pub failed: u64,
    /// Why the folder stopped early, if it did.
    pub stopped: Option<String>,
}

/// The result of a sealing run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SealSummary {
    /// The account.
    pub account: String,
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
    /// Whether the server supports UIDPLUS (`UID EXPUNGE`).
    pub uidplus: bool,
    /// How originals are removed on this account.
    pub deletion: super::Deletion,
    /// Totals over every folder (see [`FolderSummary`]).
    pub sealed: u64,
    /// Verified sealed copies made whose originals were kept.
    pub kept_originals: u64,
    /// Seals of this vault found already there.
    pub already_sealed: u64,
    /// Originals another client removed or moved during the run.
    pub vanished: u64,
    /// Bytes of originals sealed.
    pub bytes_sealed: u64,
    /// Seals found on the server that were downloaded and opened to know
    /// whose they are (each only once: a genuine one is indexed).
    pub seals_opened: u64,
    /// Bytes read to recognise seals: heads, and the seals opened.
    pub bytes_downloaded: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Dry run: what would be sealed.
    pub would_seal: Vec<WouldSeal>,
    /// Messages left unsealed on purpose, with reasons.
    pub skipped: Vec<Skipped>,
    /// Sealed-looking messages this vault did not make (sealed as they are).
    pub not_ours: Vec<NotOurs>,
    /// Errors.
    pub failed: Vec<Failed>,
    /// Things the user must know (no UIDPLUS, a folder stopped).
    pub warnings: Vec<String>,
    /// Cancelled between batches: the batches not begun were left as they are.
    pub cancelled: bool,
    /// Per folder, by name.
    pub folders: BTreeMap<String, FolderSummary>,
}

/// How a run ended, for an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is sealed (or, in a dry run, nothing went wrong).
    Complete,
    /// A folder changed under the run (its UIDVALIDITY, or it vanished) and
    /// was stopped; running seal again seals what it holds now.
    FolderChanged,
    /// Something was left unsealed for a reason the user should see.
    Incomplete,
    /// Errors happened.
    Failed,
}

impl Outcome {
    /// The code a run that ended so reports (`None`: complete).
    pub fn code(self) -> Option<crate::Code> {
        match self {
            Outcome::Complete => None,
            Outcome::FolderChanged => Some(crate::Code::FolderChanged),
            Outcome::Incomplete => Some(crate::Code::Incomplete),
            Outcome::Failed => Some(crate::Code::Failed),
        }
    }
}

impl SealSummary {
    pub(crate) fn new(
        account: &str,
        dry_run: bool,
        uidplus: bool,
        deletion: super::Deletion,
    ) -> Self {
        Self {
            account: account.to_owned(),
            dry_run,
            uidplus,
            deletion,
            ..Self::default()
        }
    }

    /// The summary of `folder`, created on first use.
    pub(crate) fn folder(&mut self, folder: &str) -> &mut FolderSummary {
        self.folders
            .entry(folder.to_owned())
            .or_insert_with(|| FolderSummary {
                folder: folder.to_owned(),
                ..FolderSummary::default()
            })
    }

    pub(crate) fn skip(&mut self, folder: &str, uid: u32, size: u64, reason: impl Into<String>) {
        self.folder(folder).skipped += 1;
        self.skipped.push(Skipped {
            folder: folder.to_owned(),
            uid,
            size,
            reason: reason.into(),
        });
    }

    pub(crate) fn not_ours(&mut self, folder: &str, uid: u32, reason: impl Into<String>) {
        self.folder(folder).not_ours += 1;
        self.not_ours.push(NotOurs {
            folder: folder.to_owned(),
            uid,
            reason: reason.into(),
        });
    }

    pub(crate) fn fail(&mut self, folder: &str, uid: Option<u32>, error: impl Into<String>) {
        if uid.is_some() {
            self.folder(folder).failed += 1;
        }
        self.failed.push(Failed {
            folder: folder.to_owned(),
            uid,
            error: error.into(),
        });
    }

    /// Records that `folder` stopped; the first reason wins.
    pub(crate) fn stop(&mut self, folder: &str, reason: &str) -> bool {
        let f = self.folder(folder);
        if f.stopped.is_some() {
            return false;
        }
        f.stopped = Some(reason.to_owned());
        self.warnings
            .push(format!("folder {folder:?} stopped: {reason}"));
        true
    }

    /// Adds up the folders and records the time taken.
    pub(crate) fn finish(&mut self, seconds: f64) {
        self.seconds = seconds;
        self.sealed = self.folders.values().map(|f| f.sealed).sum();
        self.kept_originals = self.folders.values().map(|f| f.kept_originals).sum();
        self.already_sealed = self.folders.values().map(|f| f.already_sealed).sum();
        self.vanished = self.folders.values().map(|f| f.vanished).sum();
    }

    /// How the run ended: errors first, then anything left unsealed.
    pub fn outcome(&self) -> Outcome {
        if !self.failed.is_empty() {
            Outcome::Failed
        } else if self.folders.values().any(|f| f.stopped.is_some()) {
            Outcome::FolderChanged
        } else if self.kept_originals > 0
            || !self.skipped.is_empty()
            || (!self.deletion.removes() && !self.dry_run && !self.would_seal.is_empty())
        {
            Outcome::Incomplete
        } else {
            Outcome::Complete
        }
    }

    /// One line for the terminal.
    pub fn one_line(&self) -> String {
        if self.dry_run {
            let bytes: u64 = self.would_seal.iter().map(|w| w.size).sum();
            return format!(
                "dry run: would seal {} message(s) ({} bytes) in {} folder(s); {} already sealed, \
                 {} skipped, {} not made by this vault; nothing was changed",
                self.would_seal.len(),
                bytes,
                self.folders.len(),
                self.already_sealed,
                self.skipped.len(),
                self.not_ours.len()
            );
        }
        let mb = self.bytes_sealed as f64 / 1e6;
        format!(
            "sealed {} message(s) ({mb:.1} MB) in {:.1} s; {} already sealed, {} kept as \
             originals, {} skipped, {} not made by this vault, {} vanished \
             meanwhile, {} failed, {} folder(s) stopped",
            self.sealed,
            self.seconds,
            self.already_sealed,
            self.kept_originals,
            self.skipped.len(),
            self.not_ours.len(),
            self.vanished,
            self.failed.len(),
            self.folders
                .values()
                .filter(|f| f.stopped.is_some())
                .count()
        )
    }
}
