//! The vault errors a caller must tell apart (the CLI's exit code, the app's
//! dialogs). Everything else travels as `anyhow` with context.

use std::path::PathBuf;

use coffer_core::RecoveryError;

/// A refusal or a user mistake, as opposed to a broken file or system.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase does not unlock the key file.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// `create` found a vault (a key file or a database) already there.
    #[error("a vault already exists in {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// No key file where a vault was expected.
    #[error("there is no vault in {0} (create one with `coffer init`)")]
    NotFound(PathBuf),
    /// The typed recovery key is malformed (a typo, a missing group…).
    #[error(transparent)]
    BadRecoveryKey(#[from] RecoveryError),
    /// The recovery key is well formed but does not decrypt the database.
    #[error(
        "the recovery key does not open the database in {0}: it belongs to another vault, or the database is corrupted"
    )]
    RecoveryKeyMismatch(PathBuf),
    /// Recovering into a directory that has a key file but no database: the
    /// key file may belong to another vault, so it is not replaced blindly.
    #[error(
        "{0} has a key file but no database; move the key file away before recovering into this directory"
    )]
    KeyFileWithoutDatabase(PathBuf),
    /// `account add` with a name already in use.
    #[error("an account named {0:?} already exists (remove it first, or pick another name)")]
    AccountExists(String),
    /// No account by that name.
    #[error("there is no account named {0:?} (see `coffer account list`)")]
    NoSuchAccount(String),
    /// No account was named and the vault does not have exactly one.
    #[error(
        "the vault has {0} accounts; name one with --account (add one with `coffer account add`)"
    )]
    AccountNeeded(usize),
    /// Another `seal` or `watch` is working on this account right now.
    #[error(
        "account {0:?} is being sealed by another coffer process (a `seal` or `watch`, or the app); \
         wait for it to finish or stop it, then try again"
    )]
    AccountBusy(String),
    /// An export target already exists.
    #[error("{0} already exists; refusing to overwrite it")]
    WouldOverwrite(PathBuf),
}
