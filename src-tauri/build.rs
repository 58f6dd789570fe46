//! Generates Tauri's context (config, capabilities, embedded UI) and declares
//! the app's commands, so a window may call only those its capability lists.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "run_audit",
        "export_audit",
        "session_info",
        "passphrase_strength",
        "create_vault",
        "confirm_vault",
        "cancel_vault",
        "recover_vault",
        "unlock",
        "lock",
        "lock_and_stop",
        "settings",
        "set_settings",
        "change_passphrase",
        "show_recovery_key",
        "presets",
        "accounts",
        "test_account",
        "add_account",
        "remove_account",
        "oauth_providers",
        "add_oauth_account",
        "sign_in_again",
        "seal_plan",
        "seal_start",
        "seal_pause",
        "seal_resume",
        "seal_cancel",
        "watch_status",
        "folders",
        "messages",
        "message",
        "message_body",
        "save_attachment",
        "open_attachment",
        "mark",
        "move_message",
        "delete_message",
        "search",
        "open_link",
        "send_message",
        "save_draft",
        "compose_from",
        "outbox",
        "outbox_retry",
        "outbox_discard",
    ]);
    if let Err(error) =
        tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        // A build script reports failure by panicking; there is no caller.
        panic!("tauri build step failed: {error:#}");
    }
}
