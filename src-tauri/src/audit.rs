//! The Audit view's commands: run the read-only check and export its report.

use std::path::PathBuf;
use std::sync::Mutex;

use coffer_engine::Code;
use coffer_engine::audit::{AuditOptions, AuditProgress, AuditReport, Depth, audit, render_html};
use coffer_engine::net::{ImapConfig, Security};
use serde::{Deserialize, Serialize};
use tauri::Emitter as _;

use crate::error::CommandError;

/// The last report, kept for export so the UI never sends it back.
#[derive(Debug, Default)]
pub struct AuditState {
    last: Mutex<Option<AuditReport>>,
}

/// What the Audit form sends. The password travels once over IPC, into a
/// secret type, and is never stored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRequest {
    host: String,
    port: u16,
    user: String,
    password: String,
    security: Security,
    ca_file: Option<String>,
    #[serde(default)]
    folders: Vec<String>,
    /// Check every byte of every seal (default: head, tail and samples).
    #[serde(default)]
    full: bool,
}

/// Progress as the UI receives it on the `audit-progress` event.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressEvent {
    phase: &'static str,
    done: u64,
    total: u64,
    folder: Option<String>,
}

fn to_event(p: AuditProgress, total: &mut u64) -> ProgressEvent {
    match p {
        AuditProgress::Planned { messages, .. } => {
            *total = messages;
            ProgressEvent {
                phase: "planned",
                done: 0,
                total: messages,
                folder: None,
            }
        }
        AuditProgress::Scanned { folder, done } => ProgressEvent {
            phase: "scanning",
            done,
            total: *total,
            folder: Some(folder),
        },
        AuditProgress::Verified { done, total } => ProgressEvent {
            phase: "verifying",
            done,
            total,
            folder: None,
        },
    }
}

/// Runs the audit and returns its report.
#[tauri::command]
pub async fn run_audit(
    app: tauri::AppHandle,
    state: tauri::State<'_, AuditState>,
    request: AuditRequest,
) -> Result<AuditReport, CommandError> {
    let mut imap = ImapConfig::new(request.host, request.port);
    imap.security = request.security;
    imap.ca_file = request
        .ca_file
        .filter(|f| !f.trim().is_empty())
        .map(PathBuf::from);
    let options = AuditOptions {
        imap,
        user: request.user,
        password: request.password.into(),
        oauth: false,
        folders: request.folders,
        keys: None,
        sample: None,
        structure: if request.full {
            Depth::Full
        } else {
            Depth::Sampled
        },
    };
    let mut total = 0;
    let report = audit(options, |p| {
        // A lost progress event only makes the bar lag; the result still comes.
        let _ = app.emit("audit-progress", to_event(p, &mut total));
    })
    .await?;
    if let Ok(mut last) = state.last.lock() {
        *last = Some(report.clone());
    }
    Ok(report)
}

/// Writes the last report as `json` or `html` into the user's download
/// folder (or the home folder) and returns the file's path.
#[tauri::command]
pub fn export_audit(
    state: tauri::State<'_, AuditState>,
    format: String,
) -> Result<String, CommandError> {
    let report = state
        .last
        .lock()
        .ok()
        .and_then(|l| l.clone())
        .ok_or_else(|| CommandError::new(Code::BadRequest, "run an audit first"))?;
    let (text, ext) = match format.as_str() {
        "json" => (
            serde_json::to_string_pretty(&report)
                .map_err(|e| CommandError::new(Code::Internal, e.to_string()))?,
            "json",
        ),
        "html" => (render_html(&report), "html"),
        other => {
            return Err(CommandError::new(
                Code::BadRequest,
                format!("unknown format {other:?}"),
            ));
        }
    };
    let dir = crate::mail::download_dir()?;
    let stamp = report.scanned_at.replace(':', "-");
    let path = dir.join(format!("coffer-audit-{}-{stamp}.{ext}", report.server.user));
    std::fs::write(&path, text).map_err(|e| {
        CommandError::new(Code::Io, format!("cannot write {}: {e}", path.display()))
    })?;
    Ok(path.display().to_string())
}
