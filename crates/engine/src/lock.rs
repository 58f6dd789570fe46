//! One sealing run per account at a time: `seal` and `watch` take an
//! exclusive lock on a file in the vault directory.
//!
//! Two runs on one account would each append a copy of the same original
//! before either deleted it (the search for a previous copy cannot see a
//! copy still in flight). The lock is `flock`-style: the kernel drops it
//! when the holder exits, also after `kill -9`, so it is never stale.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::{Vault, VaultError};
use coffer_core::hex;

/// Held while an account is being sealed; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct AccountLock {
    _file: File,
}

impl Vault {
    /// Takes the account's sealing lock, or fails at once with
    /// [`VaultError::AccountBusy`] when another run holds it.
    pub(crate) fn lock_account(&self, account: &str) -> anyhow::Result<AccountLock> {
        // The file is named by a digest: account names stay in the database.
        let digest = Sha256::digest(account.as_bytes());
        let name = hex(digest.get(..8).unwrap_or_default());
        let path = self.layout().account_lock(&name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(AccountLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                Err(VaultError::AccountBusy(account.to_owned()).into())
            }
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}
