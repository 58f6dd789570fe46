//! The engine's own thread: one `Vault`, its sealing runs and its watch.
//!
//! A `Vault` owns an SQLite connection (usable from one thread at a time)
//! and its sealing futures keep per-run state that is not `Send`, so the
//! app gives the engine a thread of its own with a single-threaded tokio
//! runtime, as the `coffer` command has. Commands send it a job and await
//! the answer; jobs run concurrently on that thread, interleaving at their
//! `await`s (a seal in progress does not block reading mail).
//!
//! Locking: the UI's handle on the vault is dropped, so every command but
//! unlock and the sealing status refuses with `locked`; a running watch
//! keeps its own handle and goes on sealing new mail. "Lock and stop
//! sealing", and quitting, stop the watch and drop every handle: the keys
//! are zeroized when the last one goes.

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coffer_engine::seal::SealControl;
use coffer_engine::{Code, KdfPolicy, NewVault, Vault};
use serde::{Deserialize, Serialize};
use tauri::Emitter as _;
use tokio::sync::{mpsc, oneshot};

use crate::error::CommandError;

/// A job for the engine thread.
type Job = Box<dyn FnOnce(Rc<Core>) + Send>;

/// The handle commands use: sends jobs to the engine thread.
pub struct Engine {
    tx: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Engine {
    /// Starts the engine thread.
    pub fn start(app: tauri::AppHandle, dir: Option<PathBuf>, demo: Option<DemoAccount>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("coffer-engine".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(error) => {
                        tracing::error!(%error, "cannot start the engine's runtime");
                        return;
                    }
                };
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    let core = Rc::new(Core::new(app, dir, demo));
                    while let Some(job) = rx.recv().await {
                        job(Rc::clone(&core));
                    }
                    core.stop_everything().await;
                });
            });
        let thread = match thread {
            Ok(t) => Some(t),
            Err(error) => {
                tracing::error!(%error, "cannot start the engine thread");
                None
            }
        };
        Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(thread),
        }
    }

    /// Runs `f` on the engine thread and returns its answer.
    pub async fn run<T, F, Fut>(&self, f: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(Rc<Core>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, CommandError>> + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |core| {
            tokio::task::spawn_local(async move {
                // The command may have been abandoned; then nobody listens.
                let _ = answer.send(f(core).await);
            });
        });
        let sent = self
            .tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|tx| tx.send(job).is_ok())
            .unwrap_or(false);
        if !sent {
            return Err(CommandError::new(Code::Internal, "the engine has stopped"));
        }
        answered
            .await
            .map_err(|_| CommandError::new(Code::Internal, "the engine dropped the request"))?
    }

    /// Runs `f` with the unlocked vault (`locked` when there is none).
    pub async fn vault<T, F, Fut>(&self, f: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(Rc<Vault>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, CommandError>> + 'static,
    {
        self.run(move |core| async move { f(core.vault()?).await })
            .await
    }

    /// On quit: stops the watch, drops every key, and waits (briefly) for
    /// the engine thread to finish.
    pub fn shut_down(&self) {
        drop(
            self.tx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// The demo mailbox `scripts/run-app.sh` starts (`COFFER_DEMO`, the demo
/// server's JSON line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoAccount {
    /// Host.
    pub host: String,
    /// IMAPS port.
    pub port: u16,
    /// `tls`.
    pub security: coffer_engine::net::Security,
    /// Login.
    pub user: String,
    /// Password (a throwaway local server's).
    pub password: String,
    /// The throwaway CA.
    pub ca_file: String,
    /// Its SMTP submission server (implicit TLS), for sending.
    pub smtp_host: Option<String>,
    /// Its port.
    pub smtp_port: Option<u16>,
}

impl DemoAccount {
    /// Reads `COFFER_DEMO`, if set and well-formed.
    pub fn from_env() -> Option<Self> {
        #[derive(Deserialize)]
        struct Line {
            host: String,
            imaps_port: u16,
            user: String,
            password: String,
            ca_file: String,
            smtp_port: Option<u16>,
        }
        let text = std::env::var("COFFER_DEMO").ok()?;
        match serde_json::from_str::<Line>(&text) {
            Ok(l) => Some(Self {
                smtp_host: l.smtp_port.map(|_| l.host.clone()),
                smtp_port: l.smtp_port,
                host: l.host,
                port: l.imaps_port,
                security: coffer_engine::net::Security::Tls,
                user: l.user,
                password: l.password,
                ca_file: l.ca_file,
            }),
            Err(error) => {
                tracing::warn!(%error, "COFFER_DEMO is not the demo server's JSON line");
                None
            }
        }
    }
}

/// What the status line shows about sealing new mail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchStatus {
    /// The account watched.
    pub account: Option<String>,
    /// `up_to_date`, `sealing`, `offline` or `stopped`.
    pub state: &'static str,
    /// Messages being sealed now.
    pub sealing: u64,
    /// Seconds to the next try, when offline.
    pub retry_in_seconds: Option<f64>,
    /// Why it is offline or stopped.
    pub reason: Option<String>,
    /// The UI is locked but the watch still holds the keys.
    pub locked: bool,
    /// Messages sealed since the app started.
    pub sealed_total: u64,
}

impl Default for WatchStatus {
    fn default() -> Self {
        Self {
            account: None,
            state: "stopped",
            sealing: 0,
            retry_in_seconds: None,
            reason: Some("no account is watched yet".into()),
            locked: false,
            sealed_total: 0,
        }
    }
}

/// A vault being created: the recovery key is shown, not yet confirmed.
pub struct Pending {
    /// The vault in memory.
    pub vault: NewVault,
    /// 1-based groups of the recovery key the user must type again.
    pub groups: Vec<usize>,
    /// The provisioning profile installed on this machine, applied once
    /// the vault is written.
    pub profile: Option<coffer_engine::profile::Profile>,
}

/// The watch running for one account.
struct WatchRun {
    account: String,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

/// The engine thread's state. Never borrowed across an `await`.
pub struct Core {
    /// For events to the UI.
    pub app: tauri::AppHandle,
    /// The vault directory.
    pub dir: Option<PathBuf>,
    /// The demo mailbox, when the app was started with one.
    pub demo: Option<DemoAccount>,
    vault: RefCell<Option<Rc<Vault>>>,
    /// A vault being created.
    pub pending: RefCell<Option<Pending>>,
    /// The running seal's controls.
    pub seal: RefCell<Option<Arc<SealControl>>>,
    /// Why the vault's database cannot be used (the check after unlock failed).
    pub damaged: RefCell<Option<String>>,
    watch: RefCell<Option<WatchRun>>,
    status: RefCell<WatchStatus>,
}

impl Core {
    fn new(app: tauri::AppHandle, dir: Option<PathBuf>, demo: Option<DemoAccount>) -> Self {
        Self {
            app,
            dir,
            demo,
            vault: RefCell::new(None),
            pending: RefCell::new(None),
            seal: RefCell::new(None),
            damaged: RefCell::new(None),
            watch: RefCell::new(None),
            status: RefCell::new(WatchStatus::default()),
        }
    }

    /// The vault directory, or why there is none.
    pub fn dir(&self) -> Result<PathBuf, CommandError> {
        self.dir.clone().ok_or_else(|| {
            CommandError::new(
                Code::VaultMissing,
                "no home directory; set COFFER_VAULT to a folder",
            )
        })
    }

    /// The unlocked vault, or `locked`.
    pub fn vault(&self) -> Result<Rc<Vault>, CommandError> {
        self.vault.borrow().clone().ok_or_else(|| {
            CommandError::new(
                Code::Locked,
                "Coffer is locked: unlock it with your passphrase",
            )
        })
    }

    /// Whether the UI holds an unlocked vault.
    pub fn is_unlocked(&self) -> bool {
        self.vault.borrow().is_some()
    }

    /// The policy new passphrases and key files follow.
    pub fn policy(&self) -> KdfPolicy {
        KdfPolicy::from_env()
    }

    /// Takes an unlocked vault for the UI, and starts watching its
    /// accounts' new mail (unless a watch already runs).
    pub fn set_unlocked(self: &Rc<Self>, vault: Vault) {
        let vault = Rc::new(vault);
        *self.vault.borrow_mut() = Some(Rc::clone(&vault));
        self.update_status(|s| s.locked = false);
        self.start_watch(&vault);
    }

    /// Locks the UI; the watch keeps its own handle on the vault.
    pub fn lock(&self) {
        *self.pending.borrow_mut() = None;
        drop(self.vault.borrow_mut().take());
        let watching = self.watch.borrow().is_some();
        self.update_status(|s| s.locked = watching);
    }

    /// Locks and stops sealing: every handle on the vault goes.
    pub async fn stop_everything(&self) {
        self.lock();
        if let Some(control) = self.seal.borrow_mut().take() {
            control.cancel();
        }
        self.stop_watch().await;
        self.update_status(|s| {
            s.locked = false;
        });
    }

    /// The background check found the database damaged: stop everything,
    /// lock, and refuse to unlock again with the reason (nothing on disk is
    /// touched; `coffer recover` or a backup is the way back).
    pub async fn vault_damaged(&self, why: String) {
        tracing::error!(why, "the vault's database is damaged");
        *self.damaged.borrow_mut() = Some(why.clone());
        self.stop_everything().await;
        self.update_status(|s| {
            s.state = "stopped";
            s.reason = Some(format!("the vault's database is damaged: {why}"));
        });
    }

    /// Stops the watch (after its current pass) and waits for it.
    pub async fn stop_watch(&self) {
        let run = self.watch.borrow_mut().take();
        if let Some(mut run) = run {
            if let Some(stop) = run.stop.take() {
                let _ = stop.send(());
            }
            if let Err(error) = (&mut run.done).await {
                tracing::warn!(%error, account = run.account, "the watch task failed");
            }
        }
    }

    /// Starts watching the vault's first account, if it has one and the
    /// user sealed it before (a watch's first pass seals everything, which
    /// the Seal view must show first).
    pub fn start_watch(self: &Rc<Self>, vault: &Rc<Vault>) {
        if self.watch.borrow().is_some() {
            return;
        }
        let Ok(accounts) = vault.accounts() else {
            return;
        };
        let Some(account) = accounts.into_iter().next().map(|a| a.name) else {
            return;
        };
        let sealed_before = vault
            .store()
            .setting(&sealed_key(&account))
            .ok()
            .flatten()
            .is_some();
        if !sealed_before {
            self.update_status(|s| {
                *s = WatchStatus {
                    account: Some(account.clone()),
                    reason: Some("waiting for the first seal".into()),
                    ..WatchStatus::default()
                };
            });
            return;
        }
        self.spawn_watch(vault, account);
    }

    /// Records that `account` was sealed once, so later unlocks watch it.
    pub fn mark_sealed(&self, vault: &Vault, account: &str) {
        if let Err(error) = vault.store().set_setting(&sealed_key(account), "1") {
            tracing::warn!(%error, "cannot record the first seal");
        }
    }

    /// Starts the watch task for `account`.
    pub fn spawn_watch(self: &Rc<Self>, vault: &Rc<Vault>, account: String) {
        let (stop, stopped) = oneshot::channel::<()>();
        let core = Rc::clone(self);
        let vault = Rc::clone(vault);
        let name = account.clone();
        self.update_status(|s| {
            *s = WatchStatus {
                account: Some(account.clone()),
                state: "up_to_date",
                reason: None,
                sealed_total: s.sealed_total,
                locked: s.locked,
                ..WatchStatus::default()
            };
        });
        let done = tokio::task::spawn_local(async move {
            let options = coffer_engine::watch::WatchOptions::default();
            let events = {
                let core = Rc::clone(&core);
                move |event| core.on_watch_event(event)
            };
            let shutdown = async {
                let _ = stopped.await;
            };
            let result = vault.watch(Some(&name), &options, events, shutdown).await;
            drop(vault);
            let reason = match result {
                Ok(()) => "stopped".to_owned(),
                Err(error) => coffer_engine::message_of(&error),
            };
            core.update_status(|s| {
                s.state = "stopped";
                s.sealing = 0;
                s.retry_in_seconds = None;
                s.reason = Some(reason);
                s.locked = false;
            });
        });
        *self.watch.borrow_mut() = Some(WatchRun {
            account,
            stop: Some(stop),
            done,
        });
    }

    fn on_watch_event(&self, event: coffer_engine::watch::WatchEvent) {
        use coffer_engine::watch::WatchEvent as E;
        self.update_status(|s| match event {
            E::Started { .. } | E::IdleUnavailable | E::Outbox { .. } => {}
            E::Sealing { messages, .. } => {
                s.state = "sealing";
                s.sealing = messages;
                s.retry_in_seconds = None;
                s.reason = None;
            }
            E::Sealed { .. } => {
                s.sealed_total += 1;
                s.sealing = s.sealing.saturating_sub(1);
            }
            E::PassFinished { summary, .. } => {
                s.state = "up_to_date";
                s.sealing = 0;
                s.retry_in_seconds = None;
                s.reason = (!summary.failed.is_empty())
                    .then(|| format!("{} message(s) could not be sealed", summary.failed.len()));
            }
            E::Retrying {
                error,
                retry_in_seconds,
            } => {
                s.state = "offline";
                s.retry_in_seconds = Some(retry_in_seconds);
                s.reason = Some(error);
            }
            E::Stopped => {
                s.state = "stopped";
                s.reason = Some("stopped".into());
            }
        });
    }

    /// The watch's status now.
    pub fn status(&self) -> WatchStatus {
        self.status.borrow().clone()
    }

    /// Changes the status and tells the UI.
    pub fn update_status(&self, change: impl FnOnce(&mut WatchStatus)) {
        let now = {
            let mut s = self.status.borrow_mut();
            change(&mut s);
            s.clone()
        };
        // A lost event only delays the status line until the next one.
        let _ = self.app.emit("watch-status", now);
    }

    /// Runs `work` with the watch stopped (a seal needs the account's
    /// lock), then starts it again.
    pub async fn without_watch<T>(
        self: &Rc<Self>,
        vault: &Rc<Vault>,
        work: impl Future<Output = T>,
    ) -> T {
        let account = self.watch.borrow().as_ref().map(|w| w.account.clone());
        self.stop_watch().await;
        let out = work.await;
        if let Some(account) = account
            && self.is_unlocked()
        {
            self.spawn_watch(vault, account);
        }
        out
    }
}

fn sealed_key(account: &str) -> String {
    format!("app.sealed_once.{account}")
}
