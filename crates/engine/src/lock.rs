//! One sealing run per account at a time: `seal` and `watch` take an
//! exclusive lock on a file in the vault directory.
//!
//! Two runs on one account would each append a copy of the same original
//! before either deleted it (the search for a previous copy cannot see a
//! copy still in flight). The lock is `flock`-style: the kernel drops it
//! when the holder exits, also after `kill -9`, so it is never stale.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::{Vault, VaultError};
use coffer_core::hex;

/// Who this process is, as another process that finds the lock taken is
/// told (`the Coffer service (systemd)`, `the Coffer app`, …).
static ROLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names this process for the account locks it takes (set once, early).
pub fn set_lock_role(role: &str) {
    if ROLE.set(role.to_owned()).is_err() {
        tracing::debug!("the lock role was set already");
    }
}

fn role() -> String {
    match ROLE.get() {
        Some(r) => format!("{r} (process {})", std::process::id()),
        None => format!("a coffer process ({})", std::process::id()),
    }
}

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
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                // Who holds it, for whoever finds it taken; the lock itself
                // is the kernel's, so a stale name misleads no one for long.
                let named = file
                    .set_len(0)
                    .and_then(|()| file.write_all(role().as_bytes()));
                if let Err(error) = named {
                    tracing::debug!(%error, "cannot name the lock's holder");
                }
                Ok(AccountLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                match holder.is_empty() {
                    true => Err(VaultError::AccountBusy(account.to_owned()).into()),
                    false => Err(crate::refusal(
                        crate::Code::AccountBusy,
                        format!(
                            "account {account:?} is being kept sealed by {holder}; this one \
                             leaves it alone (stop that one first to run it here)"
                        ),
                    )),
                }
            }
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}
