//! `coffer watch`: keep an account sealed as mail arrives, logging delivery-to-sealed delays.

use std::cell::Cell;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::watch::{WatchEvent, WatchOptions};
use tokio::sync::Notify;

/// Options of `coffer watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The account (optional when the vault has exactly one).
    #[arg(long)]
    pub account: Option<String>,
    /// Seconds between passes over every folder (INBOX included)
    /// [default: 60, or the provisioning profile's interval if shorter].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_seconds: Option<u64>,
    /// Longest IDLE, in seconds, before INBOX is looked at anyway (at most
    /// 28 minutes: RFC 2177 servers may drop a client idle for 30).
    #[arg(long, value_name = "N", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_seconds: u64,
    /// Run as the systemd unit of `coffer service install` does: every log
    /// line carries its journald level, the passphrase must come from a file
    /// only its owner can read, and other coffer processes are told the
    /// service holds the account.
    #[arg(long)]
    pub service: bool,
    /// Unlock with the passphrase the desktop's Secret Service keyring holds
    /// for this vault (attributes application=coffer, vault=DIR) instead of
    /// a file or a prompt.
    #[arg(long)]
    pub keyring: bool,
    /// Exit 0 once N messages were sealed (for tests and scripts).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub once_sealed: Option<u64>,
    /// Log one JSON object per line on stdout instead of text.
    #[arg(long)]
    pub json_log: bool,
}

/// Runs `coffer watch` until stopped: `Ok` when stopped; an error when it
/// cannot run at all. Server and network errors are retried, never fatal.
pub fn run(dir: &Path, pass_file: Option<&Path>, args: &WatchArgs) -> anyhow::Result<()> {
    watch(dir, pass_file, args)
}

fn watch(dir: &Path, pass_file: Option<&Path>, args: &WatchArgs) -> anyhow::Result<()> {
    if args.service {
        crate::term::set_journal();
        coffer_engine::set_lock_role("the Coffer service (systemd)");
        if coffer_engine::VaultStatus::inspect(dir).state != coffer_engine::VaultState::Present {
            return Err(coffer_engine::VaultError::NotFound(dir.to_path_buf()).into());
        }
        if !args.keyring {
            let file = pass_file.ok_or_else(|| {
                coffer_engine::refusal(
                    coffer_engine::Code::BadRequest,
                    "the service needs --passphrase-file or --keyring (see docs/SERVICE.md)",
                )
            })?;
            super::service::check_private(file)?;
        }
    }
    let vault = match args.keyring {
        true => super::unlock_from_keyring(dir)?,
        false => super::unlock(dir, pass_file)?,
    };
    let poll_seconds = match args.poll_seconds {
        Some(asked) => {
            vault.check_watch_interval(asked)?;
            asked
        }
        None => vault
            .org_policy()?
            .watch_interval_seconds
            .map_or(60, |max| max.min(60)),
    };
    let options = WatchOptions {
        poll_interval: Duration::from_secs(poll_seconds),
        idle_timeout: Duration::from_secs(args.idle_seconds),
        ..WatchOptions::default()
    };
    let enough = Notify::new();
    let sealed = Cell::new(0u64);
    let on_event = |event: WatchEvent| {
        if matches!(event, WatchEvent::Sealed { .. }) {
            sealed.set(sealed.get() + 1);
            if args.once_sealed.is_some_and(|n| sealed.get() >= n) {
                // A stored permit: the stop is seen at the next wait.
                enough.notify_one();
            }
        }
        log(&event, args);
    };
    super::runtime()?.block_on(async {
        let signals = stop_signals()?;
        let shutdown = async {
            tokio::select! {
                () = signals => {}
                () = enough.notified() => {}
            }
        };
        vault
            .watch(args.account.as_deref(), &options, on_event, shutdown)
            .await
    })
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed now, not on
/// first poll, so a signal during a long pass is not lost (nor fatal).
#[cfg(unix)]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No handler could be installed: only --once-sealed stops us.
            std::future::pending::<()>().await;
        }
    })
}

/// One line per event: JSON, or text (errors on stderr, the rest on stdout).
fn log(event: &WatchEvent, args: &WatchArgs) {
    if args.json_log {
        match crate::term::json_line(event) {
            Ok(line) => say!("{line}"),
            Err(error) => warn!("coffer: cannot write a JSON log line: {error}"),
        }
        return;
    }
    match event {
        WatchEvent::Started { account } => say!("watching account {account:?}"),
        WatchEvent::Sealing { scope, messages } => {
            say!("sealing {messages} new message(s) ({})", scope.label());
        }
        WatchEvent::Sealed {
            folder,
            uid,
            delay_seconds,
            original_removed,
            ..
        } => {
            let kept = if *original_removed {
                ""
            } else {
                " (original kept: the server lacks UIDPLUS)"
            };
            say!(
                "sealed {} uid {uid} after {delay_seconds:.1} s{kept}",
                crate::term::safe_line(folder)
            );
        }
        WatchEvent::PassFinished { scope, summary } => {
            for f in &summary.failed {
                match f.uid {
                    Some(uid) => warn!("coffer: failed {:?} UID {uid}: {}", f.folder, f.error),
                    None => warn!("coffer: failed {:?}: {}", f.folder, f.error),
                }
            }
            say!("pass ({}): {}", scope.label(), summary.one_line());
        }
        WatchEvent::Outbox { report } => match &report.error {
            Some(e) => warn!(
                "coffer: outbox {}: {}",
                report.id,
                crate::term::safe_line(e)
            ),
            None => say!("outbox {}: {:?}", report.id, report.state),
        },
        WatchEvent::IdleUnavailable => {
            say!("the server has no IDLE: INBOX is checked at every pass over the folders")
        }
        WatchEvent::Retrying {
            error,
            retry_in_seconds,
        } => warn!("coffer: watch: {error}; retrying in {retry_in_seconds:.1} s"),
        WatchEvent::Stopped => say!("stopped"),
    }
}
