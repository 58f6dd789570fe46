//! Coffer's local database: the only crate that speaks SQL.
//!
//! Architecture invariant: no other crate issues SQL. The database is
//! SQLCipher, keyed with the raw key HKDF derives from the vault's master
//! secret (so SQLCipher's own PBKDF2 is skipped: the passphrase was already
//! stretched by Argon2id in the key file).
//!
//! * [`layout`] — the file names inside a vault directory;
//! * [`Store`] — opening, keying and migrating the database;
//! * [`migrations`] — the numbered schema migrations;
//! * settings and vault metadata accessors on [`Store`];
//! * accounts ([`AccountRecord`]) and the sealing journal ([`JournalRow`]);
//! * [`index`] — the message index, full-text search and the body cache.

// Tests may unwrap and index; the non-test build is linted in full.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod accounts;
mod folder_sync;
pub mod index;
mod journal;
mod layout;
mod meta;
pub mod migrations;
mod oauth;
mod outbox;
mod store;

pub use accounts::{AccountError, AccountRecord, AccountSecurity};
pub use folder_sync::FolderSync;
pub use index::{
    AttachmentInfo, CopyPlace, FolderCount, Hit, IndexEntry, Indexed, ListRow, NewEntry, RowPlace,
    Trust,
};
pub use journal::{JournalRow, JournalState};
pub use layout::VaultLayout;
pub use meta::VaultMeta;
pub use migrations::MigrationError;
pub use oauth::OAuthGrant;
pub use outbox::{OutboxState, Outgoing, Recipient, RecipientState};
pub use store::{Store, StoreError};
