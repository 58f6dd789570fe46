//! What the user should see about a vault directory before unlocking it.

use std::path::{Path, PathBuf};

use coffer_store::VaultLayout;
use serde::Serialize;

/// Whether a vault exists at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultState {
    /// No key file: a vault can be created here.
    Absent,
    /// A key file exists: the vault can be unlocked.
    Present,
}

/// The state of a vault directory, as shown by `coffer status` and the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultStatus {
    /// The vault directory.
    pub dir: PathBuf,
    /// Whether a vault exists there.
    pub state: VaultState,
    /// The Coffer version looking at it.
    pub version: &'static str,
}

impl VaultStatus {
    /// Looks at `dir` without unlocking or changing anything.
    pub fn inspect(dir: &Path) -> Self {
        let layout = VaultLayout::new(dir);
        let state = if layout.key_file().exists() {
            VaultState::Present
        } else {
            VaultState::Absent
        };
        Self {
            dir: dir.to_path_buf(),
            state,
            version: coffer_core::VERSION,
        }
    }
}
