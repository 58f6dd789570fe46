//! Coffer's local database: the only crate that speaks SQL.
//!
//! The SQLCipher store (schema, numbered migrations, the sealing journal, the
//! message index) lands here with the vault issue. Until then the crate holds
//! only the vault directory layout, so the engine and CLI agree on file names.

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
}
