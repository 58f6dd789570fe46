//! Generates Tauri's context (config, capabilities, embedded UI) and declares
//! the app's commands, so a window may call only those its capability lists.
fn main() {
    let manifest =
        tauri_build::AppManifest::new().commands(&["app_info", "run_audit", "export_audit"]);
    if let Err(error) =
        tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        // A build script reports failure by panicking; there is no caller.
        panic!("tauri build step failed: {error:#}");
    }
}
