//! Where a vault lives when the user does not say.

use std::path::PathBuf;

/// The platform data directory for Coffer's vault
/// (`$XDG_DATA_HOME/coffer` on Linux, `~/Library/Application Support/…` on macOS).
///
/// Returns `None` when no home directory can be found; callers then ask for
/// `--vault`.
pub fn default_vault_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Coffer", "coffer").map(|d| d.data_dir().to_path_buf())
}
