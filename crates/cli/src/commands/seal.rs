//! `coffer seal`: seal every folder of an account, with a progress bar and a summary.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::seal::{SealOptions, SealProgress, SealSummary};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::Outcome;

/// Options of `coffer seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// The account (optional when the vault has exactly one).
    #[arg(long)]
    pub account: Option<String>,
    /// Seal only this folder (repeatable). Default: every folder.
    #[arg(long = "folder", value_name = "FOLDER")]
    pub folders: Vec<String>,
    /// List what would be sealed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// Skip originals larger than this many bytes [default: 40 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_message_size: Option<u64>,
    /// Parallel IMAP connections [default: 3].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Most originals per batch (for tuning) [default: 100].
    #[arg(long, value_name = "N", hide = true)]
    pub batch_messages: Option<usize>,
    /// Most bytes of originals per batch (for tuning) [default: 4 MiB].
    #[arg(long, value_name = "BYTES", hide = true)]
    pub batch_bytes: Option<u64>,
}

/// Runs `coffer seal`: all sealed, or [`Code::Incomplete`] (something left
/// unsealed for a reason shown) or [`Code::Failed`] (errors shown).
pub fn run(dir: &Path, pass_file: Option<&Path>, args: &SealArgs) -> Outcome {
    let vault = super::unlock(dir, pass_file)?;
    let options = options(&vault, args)?;
    let mut bar = Bar::new();
    let runtime = super::runtime()?;
    let summary =
        runtime.block_on(vault.seal(args.account.as_deref(), &options, |p| bar.update(p)))?;
    bar.bar.finish_and_clear();
    report(&summary, args.json)?;
    Ok(summary.outcome().code())
}

/// Options of `coffer rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// What each account's run does, as for `seal`.
    #[command(flatten)]
    pub seal: SealArgs,
    /// First move the vault to a new identity: a new master secret, whose
    /// recovery key is shown once (and, on a terminal, confirmed); the old
    /// recovery key and any old copy of the key file stop opening the vault.
    #[arg(long)]
    pub new_identity: bool,
}

/// Runs `coffer rotate` (and `rekey`, with `new_identity`): every account's
/// seals re-sealed to the current recipient set, each run reported as
/// `seal` reports it.
pub fn rotate(
    dir: &Path,
    pass_file: Option<&Path>,
    args: &SealArgs,
    new_identity: bool,
) -> Outcome {
    let passphrase = crate::passphrase::read(pass_file, "Passphrase: ")?;
    let mut vault =
        coffer_engine::Vault::unlock(dir, &passphrase, coffer_engine::KdfPolicy::from_env())
            .with_context(|| format!("unlocking the vault in {}", dir.display()))?;
    let options = options(&vault, args)?;
    let pending = vault.rotation_pending()?;
    if new_identity && pending.is_some() {
        say!(
            "a rotation is under way: it is finished first, to the vault's current identity; \
             run `coffer rekey` again afterwards for a new identity"
        );
    }
    if new_identity && pending.is_none() {
        let new = vault.prepare_new_identity();
        say!("A new identity for this vault. Its recovery key replaces the old one:");
        super::init::show(new.recovery_key());
        if std::io::stdin().is_terminal() {
            super::init::confirm(new.recovery_key())?;
        }
        vault.commit_new_identity(new, &passphrase)?;
        say!(
            "The vault has a new identity (public key {}); the old recovery key no longer \
             opens it. Every message is now re-sealed to it.",
            vault.keys().recipient()
        );
    }
    let mut bar = Bar::new();
    let done =
        super::runtime()?
            .block_on(vault.rotate(args.account.as_deref(), &options, |p| bar.update(p)))?;
    bar.bar.finish_and_clear();
    let Some(generation) = done.generation else {
        say!("nothing to rotate: every seal is already to the current recipient set");
        return Ok(None);
    };
    let mut worst = None;
    for summary in &done.runs {
        report(summary, args.json)?;
        worst = worst.or(summary.outcome().code());
    }
    if !args.json {
        match done.finished {
            true => say!("rotation to key generation {generation} finished"),
            false => say!(
                "rotation to key generation {generation} is not finished: run `coffer rotate` \
                 again (it resumes)"
            ),
        }
    }
    Ok(worst)
}

/// The run's options from the arguments, within the profile's policy.
fn options(vault: &coffer_engine::Vault, args: &SealArgs) -> anyhow::Result<SealOptions> {
    if let Some(asked) = args.max_message_size {
        vault.check_max_message_bytes(asked)?;
    }
    let defaults = SealOptions::default();
    Ok(SealOptions {
        folders: args.folders.clone(),
        dry_run: args.dry_run,
        max_message_bytes: args.max_message_size.unwrap_or(defaults.max_message_bytes),
        workers: args.workers.unwrap_or(defaults.workers),
        batch_messages: args.batch_messages.unwrap_or(defaults.batch_messages),
        batch_bytes: args.batch_bytes.unwrap_or(defaults.batch_bytes),
        ..defaults
    })
}

/// The progress bar: bytes drive it, the message count rides in its text.
struct Bar {
    bar: ProgressBar,
    done: u64,
    total: u64,
}

impl Bar {
    fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes}  {binary_bytes_per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message("planning");
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            done: 0,
            total: 0,
        }
    }

    fn update(&mut self, p: SealProgress) {
        match p {
            SealProgress::FolderPlanned { folder, .. } => {
                self.bar
                    .set_message(format!("planning {}", crate::term::safe_line(&folder)));
            }
            SealProgress::Planned {
                messages, bytes, ..
            } => {
                self.total = messages;
                self.bar.set_length(bytes);
                self.bar.reset_eta();
                self.bar.set_message(format!("0/{messages} messages"));
            }
            SealProgress::Progressed {
                messages, bytes, ..
            } => {
                self.done += messages;
                self.bar.inc(bytes);
                self.bar
                    .set_message(format!("{}/{} messages", self.done, self.total));
            }
            SealProgress::FolderStopped { folder, reason } => {
                self.bar
                    .suspend(|| warn!("coffer: folder {folder:?} stopped: {reason}"));
            }
            SealProgress::BatchStarted { .. }
            | SealProgress::BatchVerified { .. }
            | SealProgress::Sealed { .. } => {}
        }
    }
}

fn report(summary: &SealSummary, json: bool) -> anyhow::Result<()> {
    for w in &summary.warnings {
        warn!("coffer: warning: {w}");
    }
    for n in &summary.not_ours {
        warn!(
            "coffer: not a seal of this vault, sealed like any other message: {:?} UID {}: {}",
            n.folder, n.uid, n.reason
        );
    }
    for s in &summary.skipped {
        warn!("coffer: skipped {:?} UID {}: {}", s.folder, s.uid, s.reason);
    }
    for f in &summary.failed {
        match f.uid {
            Some(uid) => warn!("coffer: failed {:?} UID {uid}: {}", f.folder, f.error),
            None => warn!("coffer: failed {:?}: {}", f.folder, f.error),
        }
    }
    if summary.dry_run && !json {
        for w in &summary.would_seal {
            say!("would seal {:?} UID {} ({} bytes)", w.folder, w.uid, w.size);
        }
    }
    if json {
        warn!("{}", summary.one_line());
        println!("{}", crate::term::json(summary)?);
    } else {
        say!("{}", summary.one_line());
    }
    Ok(())
}
