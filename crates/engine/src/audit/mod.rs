//! The auditor's check: a read-only scan proving, from the provider's side,
//! that a mailbox holds only ciphertext.
//!
//! Read-only from start to end: folders are opened with EXAMINE and messages
//! read with `BODY.PEEK`, so no flag, message or folder changes. The head of
//! each message is read ([`coffer_core::audit::HEAD_BYTES`]) to classify it;
//! of a seal, the tail and sampled ranges too (or every byte with
//! [`Depth::Full`]) to check its structure without a key. Whole messages are
//! downloaded only to open seals with the vault's keys: only that shows a
//! seal is genuine, and only then may a report say "only ciphertext".

mod html;
mod report;
mod run;
mod structure;

pub use coffer_core::audit::sample::Depth;
pub use html::render_html;
pub use report::{
    AuditReport, Counts, Finding, FolderReport, ServerIdentity, Verification, VisibleMetadata,
};
pub use run::{AuditOptions, AuditProgress, audit};
