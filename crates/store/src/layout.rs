//! The file names inside a vault directory, so the engine and CLI agree on them.

use std::path::{Path, PathBuf};

/// File names inside a vault directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultLayout {
    root: PathBuf,
}

impl VaultLayout {
    /// The layout of the vault stored in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The vault directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The key file: the master secret wrapped under the passphrase.
    pub fn key_file(&self) -> PathBuf {
        self.root.join("vault.key")
    }

    /// The SQLCipher database.
    pub fn database(&self) -> PathBuf {
        self.root.join("vault.db")
    }

    /// The lock file of one account's sealing runs, named by a digest of the
    /// account's name (`account_digest`, 16 hex digits) so that account
    /// names stay inside the database.
    pub fn account_lock(&self, account_digest: &str) -> PathBuf {
        self.root.join(format!("sealing-{account_digest}.lock"))
    }

    /// Every file the vault may write besides the lock files: the key file, the database and
    /// SQLite's write-ahead log and shared-memory index beside it.
    pub fn files(&self) -> [PathBuf; 4] {
        [
            self.key_file(),
            self.database(),
            self.root.join("vault.db-wal"),
            self.root.join("vault.db-shm"),
        ]
    }
}
