//! The auditor's check: a read-only scan proving, from the provider's side,
//! that a mailbox holds only ciphertext.
//!
//! Read-only from start to end: folders are opened with EXAMINE and messages
//! read with `BODY.PEEK`, so no flag, message or folder changes. Only the head
//! of each message is read ([`coffer_core::audit::HEAD_BYTES`]); whole
//! messages are downloaded only to verify seals with the vault's keys.

mod html;
mod report;
mod run;

pub use html::render_html;
pub use report::{
    AuditReport, Counts, Finding, FolderReport, ServerIdentity, Verification, VisibleMetadata,
};
pub use run::{AuditOptions, AuditProgress, audit};
