//! Tauri commands: one-line forwarders to the engine.

use std::path::PathBuf;

use coffer_engine::{Code, VaultStatus};
use serde::Serialize;

use crate::error::CommandError;

/// State shared by all commands, managed once at start-up.
#[derive(Debug)]
pub struct AppState {
    /// Where the vault lives (`COFFER_VAULT` or the platform data directory).
    pub vault_dir: Option<PathBuf>,
}

/// What the start screen shows.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    /// Product name.
    pub product: &'static str,
    /// The vault's state.
    pub vault: VaultStatus,
}

/// The app's version and the vault's state, without unlocking anything.
#[tauri::command]
pub fn app_info(state: tauri::State<'_, AppState>) -> Result<AppInfo, CommandError> {
    let dir = state.vault_dir.as_deref().ok_or_else(|| {
        CommandError::new(
            Code::VaultMissing,
            "no home directory; set COFFER_VAULT to a folder",
        )
    })?;
    Ok(AppInfo {
        product: "Coffer",
        vault: VaultStatus::inspect(dir),
    })
}
