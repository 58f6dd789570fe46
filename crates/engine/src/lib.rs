//! The `Vault` facade: the one API that both faces of Coffer (the `coffer`
//! command and the desktop app) call.
//!
//! Architecture invariant: the engine orchestrates `core`, `store` and `net`
//! and emits typed events; it never depends on Tauri and never holds an
//! `AppHandle`.

mod paths;
mod status;

pub use coffer_net as net;
pub use paths::default_vault_dir;
pub use status::{VaultState, VaultStatus};
