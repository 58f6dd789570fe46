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
    /// A batch is finished, whatever became of each message in it.
    Progressed {
        /// The folder.
        folder: String,
        /// Messages done in this batch.
        messages: u64,
        /// Their size in bytes.
        bytes: u64,
    },
    /// A folder stopped early; its remaining originals stay as they are.
    FolderStopped {
        /// The folder.
        folder: String,
        /// Why, for the user.
        reason: String,
    },
}
