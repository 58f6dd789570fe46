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

    /// Every file the vault may write: the key file, the database and
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
