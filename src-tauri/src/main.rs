//! The Coffer desktop app: a thin Tauri shell over the engine's `Vault`.
//!
//! Architecture invariant: this is the only crate that depends on Tauri.
//! Commands forward to `coffer-engine` in a few lines; the engine never sees
//! an `AppHandle`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod audit;
mod commands;
mod error;

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let vault_dir = std::env::var_os("COFFER_VAULT")
        .map(std::path::PathBuf::from)
        .or_else(coffer_engine::default_vault_dir);

    let result = tauri::Builder::default()
        .manage(commands::AppState { vault_dir })
        .manage(audit::AuditState::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            audit::run_audit,
            audit::export_audit
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the app failed to start");
        eprintln!("coffer-app: cannot start: {error}");
        std::process::exit(1);
    }
}
