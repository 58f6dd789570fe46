//! The Coffer desktop app: a thin Tauri shell over the engine's `Vault`.
//!
//! Architecture invariant: this is the only crate that depends on Tauri.
//! Commands forward to `coffer-engine` in a few lines; the engine never sees
//! an `AppHandle`. The vault lives on the engine's own thread ([`engine`]).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod accounts;
mod audit;
mod compose;
mod engine;
mod error;
mod mail;
mod sealing;
mod session;

use tauri::Manager as _;

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let vault_dir = std::env::var_os("COFFER_VAULT")
        .map(std::path::PathBuf::from)
        .or_else(coffer_engine::default_vault_dir);

    let app = tauri::Builder::default()
        .manage(audit::AuditState::default())
        .setup(move |app| {
            let engine = engine::Engine::start(
                app.handle().clone(),
                vault_dir,
                engine::DemoAccount::from_env(),
            );
            app.manage(engine);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            audit::run_audit,
            audit::export_audit,
            session::session_info,
            session::passphrase_strength,
            session::create_vault,
            session::confirm_vault,
            session::cancel_vault,
            session::recover_vault,
            session::unlock,
            session::lock,
            session::lock_and_stop,
            session::settings,
            session::set_settings,
            session::change_passphrase,
            session::show_recovery_key,
            accounts::presets,
            accounts::accounts,
            accounts::test_account,
            accounts::add_account,
            accounts::remove_account,
            accounts::oauth_providers,
            accounts::add_oauth_account,
            accounts::sign_in_again,
            sealing::seal_plan,
            sealing::seal_start,
            sealing::seal_pause,
            sealing::seal_resume,
            sealing::seal_cancel,
            sealing::watch_status,
            mail::folders,
            mail::messages,
            mail::message,
            mail::message_body,
            mail::save_attachment,
            mail::open_attachment,
            mail::mark,
            mail::move_message,
            mail::delete_message,
            mail::search,
            mail::open_link,
            compose::send_message,
            compose::save_draft,
            compose::compose_from,
            compose::outbox,
            compose::outbox_retry,
            compose::outbox_discard,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "the app failed to start");
            eprintln!("coffer-app: cannot start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        // Quitting drops every key: the watch stops and the vault closes.
        if let tauri::RunEvent::Exit = event
            && let Some(engine) = handle.try_state::<engine::Engine>()
        {
            engine.shut_down();
        }
    });
}
