//! `coffer rebuild` and `coffer sync`: the index brought in step with the server.

use std::path::Path;

use clap::Args;
use coffer_engine::read::rebuild::{RebuildProgress, RebuildSummary};

use super::progress::counter;
use crate::term::safe_line;

/// Options of `coffer rebuild` and `coffer sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The account (optional when the vault has exactly one).
    #[arg(long)]
    pub account: Option<String>,
    /// Print a machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(dir: &Path, pass_file: Option<&Path>, args: &SyncArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let bar = counter("comparing folders");
    let summary =
        super::runtime()?.block_on(vault.sync_index(args.account.as_deref(), |p| match p {
            RebuildProgress::FolderScanned { folder, .. } => {
                bar.set_message(format!("comparing {}", safe_line(&folder)));
            }
            RebuildProgress::Planned { messages, .. } => {
                bar.set_message("downloading seals");
                bar.set_length(messages);
            }
            RebuildProgress::Indexed { messages, .. } => bar.set_position(messages),
        }))?;
    bar.finish_and_clear();
    report(&summary, args.json)
}

fn report(s: &RebuildSummary, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", crate::term::json(s)?);
        return Ok(());
    }
    say!(
        "{}: {} folder(s) ({} unchanged, not listed); {} indexed, {} moved, {} flag change(s), {} removed; {} bytes downloaded",
        safe_line(&s.account),
        s.folders,
        s.unchanged,
        s.indexed,
        s.moved,
        s.flags_changed,
        s.removed,
        s.bytes
    );
    if s.wrapped > 0 {
        say!(
            "{} genuine seal(s) wrap a seal this vault did not make: listed as wrapped, never read",
            s.wrapped
        );
    }
    if s.not_sealed > 0 {
        say!(
            "{} message(s) on the server are NOT sealed yet (plaintext, not indexed): run `coffer seal`",
            s.not_sealed
        );
    }
    if s.unverified > 0 {
        say!(
            "{} seal(s) on the server were NOT made by this vault (forged, foreign or damaged): listed, never read",
            s.unverified
        );
    }
    Ok(())
}
