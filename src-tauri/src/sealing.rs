//! Commands of the Seal view and the status line: the plan (a dry run),
//! the run with live progress, pause, resume and cancel, and the watch's
//! status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use coffer_engine::Code;
use coffer_engine::seal::{SealControl, SealOptions, SealProgress, SealSummary};
use serde::Serialize;
use tauri::{Emitter as _, State};

use crate::engine::{Engine, WatchStatus};
use crate::error::CommandError;

/// Sealing speed assumed for the plan's estimate (bytes per second); the
/// measured figure in docs/PERFORMANCE.md is higher on loopback, lower over
/// a real network.
const ESTIMATE_RATE: f64 = 4.0 * 1024.0 * 1024.0;
/// And a per-message cost on top (round trips, verification).
const ESTIMATE_PER_MESSAGE: f64 = 0.01;

/// One folder of the plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderPlan {
    name: String,
    to_seal: u64,
    already_sealed: u64,
    bytes: u64,
}

/// What sealing an account would do.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealPlan {
    account: String,
    folders: Vec<FolderPlan>,
    messages: u64,
    bytes: u64,
    estimate_seconds: f64,
    warnings: Vec<String>,
}

fn estimate(messages: u64, bytes: u64) -> f64 {
    (bytes as f64 / ESTIMATE_RATE + messages as f64 * ESTIMATE_PER_MESSAGE).ceil()
}

#[tauri::command]
pub async fn seal_plan(
    engine: State<'_, Engine>,
    account: String,
) -> Result<SealPlan, CommandError> {
    engine
        .vault(move |vault| async move {
            let options = SealOptions {
                dry_run: true,
                ..SealOptions::default()
            };
            let summary = vault.seal(Some(&account), &options, |_| {}).await?;
            let mut bytes: BTreeMap<&str, u64> = BTreeMap::new();
            for w in &summary.would_seal {
                *bytes.entry(w.folder.as_str()).or_default() += w.size;
            }
            let folders: Vec<FolderPlan> = summary
                .folders
                .values()
                .map(|f| FolderPlan {
                    name: f.folder.clone(),
                    to_seal: f.planned,
                    already_sealed: f.already_sealed,
                    bytes: bytes.get(f.folder.as_str()).copied().unwrap_or(0),
                })
                .collect();
            let messages = folders.iter().map(|f| f.to_seal).sum();
            let total: u64 = folders.iter().map(|f| f.bytes).sum();
            Ok(SealPlan {
                account,
                estimate_seconds: estimate(messages, total),
                messages,
                bytes: total,
                folders,
                warnings: summary.warnings.clone(),
            })
        })
        .await
}

/// Per-folder progress.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct FolderProgress {
    name: String,
    total: u64,
    done: u64,
    bytes_total: u64,
    bytes_done: u64,
    stopped: Option<String>,
}

/// On the `seal-progress` event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    account: String,
    state: &'static str,
    folders: Vec<FolderProgress>,
    done: u64,
    total: u64,
    bytes_done: u64,
    bytes_total: u64,
    rate: f64,
    eta_seconds: Option<f64>,
}

/// Turns the engine's events into the view's progress.
struct Tracker {
    started: Instant,
    account: String,
    folders: Vec<FolderProgress>,
    bytes_total: u64,
    planned: bool,
}

impl Tracker {
    fn folder(&mut self, name: &str) -> &mut FolderProgress {
        if !self.folders.iter().any(|f| f.name == name) {
            self.folders.push(FolderProgress {
                name: name.to_owned(),
                ..FolderProgress::default()
            });
        }
        let found = self.folders.iter_mut().find(|f| f.name == name);
        // Just made sure it is there.
        found.unwrap_or_else(|| unreachable!("folder {name:?} was just added"))
    }

    fn apply(&mut self, p: SealProgress) {
        match p {
            SealProgress::FolderPlanned {
                folder, to_seal, ..
            } => self.folder(&folder).total = to_seal,
            SealProgress::Planned { bytes, .. } => {
                self.bytes_total = bytes;
                self.planned = true;
            }
            SealProgress::Progressed {
                folder,
                messages,
                bytes,
            } => {
                let f = self.folder(&folder);
                f.done += messages;
                f.bytes_done += bytes;
            }
            SealProgress::FolderStopped { folder, reason } => {
                self.folder(&folder).stopped = Some(reason);
            }
            SealProgress::BatchStarted { .. }
            | SealProgress::BatchVerified { .. }
            | SealProgress::Sealed { .. } => {}
        }
    }

    fn snapshot(&self, state: &'static str) -> Progress {
        let done = self.folders.iter().map(|f| f.done).sum();
        let total = self.folders.iter().map(|f| f.total).sum();
        let bytes_done: u64 = self.folders.iter().map(|f| f.bytes_done).sum();
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = bytes_done as f64 / seconds;
        let eta_seconds = (rate > 0.0 && self.planned)
            .then(|| self.bytes_total.saturating_sub(bytes_done) as f64 / rate);
        Progress {
            account: self.account.clone(),
            state,
            folders: self.folders.clone(),
            done,
            total,
            bytes_done,
            bytes_total: self.bytes_total,
            rate,
            eta_seconds,
        }
    }
}

/// What the run did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealResult {
    account: String,
    sealed: u64,
    already_sealed: u64,
    kept: u64,
    failed: Vec<FailedMessage>,
    warnings: Vec<String>,
    seconds: f64,
    cancelled: bool,
}

#[derive(Debug, Serialize)]
struct FailedMessage {
    folder: String,
    uid: Option<u32>,
    reason: String,
}

impl SealResult {
    fn from(s: &SealSummary) -> Self {
        Self {
            account: s.account.clone(),
            sealed: s.sealed,
            already_sealed: s.already_sealed,
            kept: s.kept_originals,
            failed: s
                .failed
                .iter()
                .map(|f| FailedMessage {
                    folder: f.folder.clone(),
                    uid: f.uid,
                    reason: f.error.clone(),
                })
                .collect(),
            warnings: s.warnings.clone(),
            seconds: s.seconds,
            cancelled: s.cancelled,
        }
    }
}

#[tauri::command]
pub async fn seal_start(
    engine: State<'_, Engine>,
    account: String,
) -> Result<SealResult, CommandError> {
    engine
        .run(move |core| async move {
            let vault = core.vault()?;
            if core.seal.borrow().is_some() {
                return Err(CommandError::new(
                    Code::AccountBusy,
                    "a seal is already running",
                ));
            }
            let control = Arc::new(SealControl::default());
            *core.seal.borrow_mut() = Some(Arc::clone(&control));
            let options = SealOptions {
                control: Some(Arc::clone(&control)),
                ..SealOptions::default()
            };
            let app = core.app.clone();
            let mut tracker = Tracker {
                started: Instant::now(),
                account: account.clone(),
                folders: Vec::new(),
                bytes_total: 0,
                planned: false,
            };
            let _ = app.emit("seal-progress", tracker.snapshot("planning"));
            let result = core
                .without_watch(
                    &vault,
                    vault.seal(Some(&account), &options, |p| {
                        tracker.apply(p);
                        let state = if control.is_cancelled() {
                            "cancelling"
                        } else if control.is_paused() {
                            "pausing"
                        } else if tracker.planned {
                            "running"
                        } else {
                            "planning"
                        };
                        // A lost event only makes the bar lag.
                        let _ = app.emit("seal-progress", tracker.snapshot(state));
                    }),
                )
                .await;
            *core.seal.borrow_mut() = None;
            let summary = result?;
            let _ = app.emit("seal-progress", tracker.snapshot("finished"));
            if summary.sealed > 0 || summary.failed.is_empty() {
                core.mark_sealed(&vault, &account);
            }
            if core.status().state == "stopped" && core.is_unlocked() {
                core.spawn_watch(&vault, account);
            }
            Ok(SealResult::from(&summary))
        })
        .await
}

fn with_control(
    engine: &Engine,
    act: fn(&SealControl),
) -> impl std::future::Future<Output = Result<(), CommandError>> + '_ {
    engine.run(move |core| async move {
        let control = core.seal.borrow().clone();
        let control =
            control.ok_or_else(|| CommandError::new(Code::BadRequest, "no seal is running"))?;
        act(&control);
        Ok(())
    })
}

#[tauri::command]
pub async fn seal_pause(engine: State<'_, Engine>) -> Result<(), CommandError> {
    with_control(&engine, SealControl::pause).await
}

#[tauri::command]
pub async fn seal_resume(engine: State<'_, Engine>) -> Result<(), CommandError> {
    with_control(&engine, SealControl::resume).await
}

#[tauri::command]
pub async fn seal_cancel(engine: State<'_, Engine>) -> Result<(), CommandError> {
    with_control(&engine, SealControl::cancel).await
}

/// Answers while locked too: the status line stays visible.
#[tauri::command]
pub async fn watch_status(engine: State<'_, Engine>) -> Result<WatchStatus, CommandError> {
    engine.run(|core| async move { Ok(core.status()) }).await
}
