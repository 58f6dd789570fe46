//! The `Vault` facade: the one API that both faces of Coffer (the `coffer`
//! command and the desktop app) call.
//!
//! Architecture invariant: the engine orchestrates `core`, `store` and `net`
//! and emits typed events; it never depends on Tauri and never holds an
//! `AppHandle`.

// Tests may unwrap and index; the non-test build is linted in full.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod accounts;
pub mod audit;
mod error;
pub mod escrow;
mod files;
mod folders;
mod index;
mod kdf;
mod lock;
pub mod oauth;
mod paths;
pub mod profile;
pub mod read;
mod rfc3339;
pub mod seal;
pub mod send;
mod status;
#[cfg(any(test, feature = "test-support"))]
pub mod testkit;
mod vault;
pub mod watch;

pub use accounts::{AccountInfo, AccountTest, NewAccount, PRESETS, Preset, test_new_account};
pub use coffer_core as core;
pub use coffer_core::{KdfParams, SecretString};
pub use coffer_net as net;
pub use error::{Code, VaultError, WithCode, code_of, message_of, refusal, with_code};
pub use kdf::KdfPolicy;
pub use lock::set_lock_role;
pub use paths::default_vault_dir;
pub use status::{VaultState, VaultStatus};
pub use vault::{
    EscrowInfo, IntegrityCheck, KdfInfo, NewIdentity, NewVault, UnlockedStatus, Vault,
};
