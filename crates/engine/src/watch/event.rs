//! Typed events of a running `watch`, for the CLI's log lines or the app's event channel.

use serde::Serialize;

use crate::seal::SealSummary;

/// Which folders a sealing pass covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassScope {
    /// Every selectable folder (the first pass and each poll).
    AllFolders,
    /// INBOX only (IDLE reported a change, or timed out).
    Inbox,
}

impl PassScope {
    /// A short name for log lines.
    pub fn label(self) -> &'static str {
        match self {
            Self::AllFolders => "all folders",
            Self::Inbox => "INBOX",
        }
    }
}

/// What `Vault::watch` reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WatchEvent {
    /// Watching began (the account was found).
    Started {
        /// The account's name.
        account: String,
    },
    /// A pass found plaintext to seal and is starting on it.
    Sealing {
        /// What the pass covers.
        scope: PassScope,
        /// Messages it will seal.
        messages: u64,
    },
    /// One original was replaced by its verified sealed copy (or, without
    /// UIDPLUS, a verified copy was put beside it).
    Sealed {
        /// The folder.
        folder: String,
        /// The original's UID.
        uid: u32,
        /// The original's INTERNALDATE (Unix seconds): when it was delivered.
        internaldate: i64,
        /// When the journal recorded it sealed (Unix seconds).
        sealed_at: f64,
        /// `sealed_at - internaldate`: how long plaintext sat on the server.
        /// INTERNALDATE has one-second resolution, so this is ±1 s.
        delay_seconds: f64,
        /// Whether the original was removed (false: kept, no UIDPLUS).
        original_removed: bool,
    },
    /// A sealing pass ended.
    PassFinished {
        /// What it covered.
        scope: PassScope,
        /// What it did.
        summary: SealSummary,
    },
    /// A message of the outbox was tried.
    Outbox {
        /// What the try did.
        report: crate::send::SendReport,
    },
    /// The server has no IDLE: INBOX is looked at on every poll instead.
    IdleUnavailable,
    /// A connection or sealing error; watching goes on after `retry_in_seconds`.
    Retrying {
        /// The error, with its context.
        error: String,
        /// The back-off before the next attempt.
        retry_in_seconds: f64,
    },
    /// Asked to stop; the last step finished and watching ended.
    Stopped,
}
