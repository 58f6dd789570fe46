//! `coffer export`: the originals, byte for byte, as Maildir or mbox.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use coffer_engine::read::export::{ExportOptions, ExportTarget};

use super::progress::counter;

/// Options of `coffer export`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["maildir", "mbox"])))]
pub struct ExportArgs {
    /// Write a Maildir tree per account into DIR (which must be empty or new).
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// Write one mboxrd file (which must not exist).
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
    /// Only this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this folder (repeatable).
    #[arg(long = "folder", value_name = "FOLDER")]
    pub folders: Vec<String>,
}

pub fn run(dir: &Path, pass_file: Option<&Path>, args: &ExportArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let target = match (&args.maildir, &args.mbox) {
        (Some(d), _) => ExportTarget::Maildir(d.clone()),
        (None, Some(f)) => ExportTarget::Mbox(f.clone()),
        (None, None) => anyhow::bail!("name --maildir DIR or --mbox FILE"),
    };
    let options = ExportOptions {
        account: args.account.clone(),
        folders: args.folders.clone(),
        target,
    };
    let bar = counter("exporting");
    let summary = super::runtime()?
        .block_on(vault.export(&options, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        }))
        .context("exporting")?;
    bar.finish_and_clear();
    say!(
        "exported {} message(s), {} bytes{}",
        summary.messages,
        summary.bytes,
        match summary.skipped_unverified {
            0 => String::new(),
            n => format!("; {n} seal(s) not made by this vault were left out"),
        }
    );
    Ok(())
}
