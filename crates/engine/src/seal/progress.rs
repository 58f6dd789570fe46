//! Typed progress events of a sealing run, for a progress bar (CLI) or the app's event channel.

/// What a running `seal` reports, in order: `Planned` once, then batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealProgress {
    /// One folder was planned.
    FolderPlanned {
        /// The folder.
        folder: String,
        /// Plaintext messages to seal in it.
        to_seal: u64,
        /// Seals of this vault already there.
        already_sealed: u64,
    },
    /// Every folder is planned: the totals the run works through.
    Planned {
        /// Folders to work on.
        folders: usize,
        /// Messages to seal.
        messages: u64,
        /// Their size in bytes.
        bytes: u64,
    },
    /// A worker is about to fetch these originals (a batch).
    BatchStarted {
        /// The folder.
        folder: String,
        /// The originals' UIDs.
        uids: Vec<u32>,
    },
    /// These originals of a batch have verified sealed copies; their removal
    /// comes next.
    BatchVerified {
        /// The folder.
        folder: String,
        /// The originals' UIDs.
        uids: Vec<u32>,
    },
    /// A batch is finished, whatever became of each message in it.
    Progressed {
        /// The folder.
        folder: String,
        /// Messages done in this batch.
        messages: u64,
        /// Their size in bytes.
        bytes: u64,
    },
    /// One original now has a verified sealed copy beside it and is
    /// recorded so in the journal: removed from the server, or kept there
    /// when the server lacks UIDPLUS. `coffer watch` times delivery to
    /// sealed from this.
    Sealed {
        /// The folder.
        folder: String,
        /// The original's UID.
        uid: u32,
        /// The original's INTERNALDATE (Unix seconds): when it was delivered.
        internaldate: i64,
        /// Whether the original was removed (false: kept: no UIDPLUS, or
        /// expunging off for the account).
        original_removed: bool,
    },
    /// A folder stopped early; its remaining originals stay as they are.
    FolderStopped {
        /// The folder.
        folder: String,
        /// Why, for the user.
        reason: String,
    },
}
