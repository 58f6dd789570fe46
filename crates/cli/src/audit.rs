//! `coffer audit`: the read-only check that a mailbox holds only ciphertext.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::Code;
use coffer_engine::audit::{AuditOptions, AuditProgress, AuditReport, Depth, audit, render_html};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::Outcome;
use crate::server::ServerArgs;

/// Options of `coffer audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The server and account to audit.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Audit only this folder (repeatable). Default: every folder.
    #[arg(long = "folder", value_name = "FOLDER")]
    pub folders: Vec<String>,
    /// Write the machine-readable report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a human-readable HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// With --vault: open only a random sample of N sealed messages.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Check every byte of every seal's structure (streams the whole
    /// mailbox). Default: the head, the tail and sampled ranges.
    #[arg(long)]
    pub full: bool,
}

/// Runs the audit: success when everything is a seal, [`Code::NotClean`]
/// when anything is not.
pub fn run(args: &AuditArgs, keys: Option<&coffer_engine::core::VaultKeys>) -> Outcome {
    // With --oauth, a sign-in for this run only: the token is never stored.
    let (password, oauth) = args.server.run_login()?;
    let options = AuditOptions {
        imap: args.server.imap_config()?,
        user: args.server.user.clone(),
        password,
        oauth,
        folders: args.folders.clone(),
        keys,
        sample: args.sample,
        structure: if args.full {
            Depth::Full
        } else {
            Depth::Sampled
        },
    };
    let bar = progress_bar();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(audit(options, |p| update(&bar, p)))?;
    bar.finish_and_clear();
    write_outputs(args, &report)?;
    print_summary(&report);
    Ok((!report.clean).then_some(Code::NotClean))
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<24} [{bar:30}] {pos}/{len} messages  {per_sec}  ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn update(bar: &ProgressBar, p: AuditProgress) {
    match p {
        AuditProgress::Planned { messages, .. } => bar.set_length(messages),
        AuditProgress::Scanned { folder, done } => {
            bar.set_message(crate::term::safe_line(&folder));
            bar.set_position(done);
        }
        AuditProgress::Verified { done, total } => {
            bar.set_message("verifying seals");
            bar.set_length(total);
            bar.set_position(done);
        }
    }
}

fn write_outputs(args: &AuditArgs, report: &AuditReport) -> anyhow::Result<()> {
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(report).context("encoding the report")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("writing the JSON report to {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, render_html(report))
            .with_context(|| format!("writing the HTML report to {}", path.display()))?;
    }
    Ok(())
}

fn print_summary(report: &AuditReport) {
    let t = &report.totals;
    say!(
        "{} message(s) in {} folder(s): {} well-formed seal(s) ({}), {} plaintext, {} other encryption, {} malformed seal(s), {} withheld by the server",
        t.total,
        report.folders.len(),
        t.sealed,
        report.structure_words(),
        t.plaintext,
        t.other_encryption,
        t.malformed_seal,
        t.withheld
    );
    match &report.verification {
        Some(v) => {
            say!(
                "genuine seals (opened with the vault's key): {} of {}{}",
                v.verified,
                v.checked,
                if v.sampled { " (random sample)" } else { "" }
            );
            if v.checked < v.selected {
                say!(
                    "{} of the {} seal(s) selected were withheld by the server: not verified",
                    v.selected - v.checked,
                    v.selected
                );
            }
        }
        None => {
            say!("genuine seals: not checked (no vault key; audit with --vault to open the seals)")
        }
    }
    for f in &report.findings {
        say!("  {} uid {}: {} ({})", f.folder, f.uid, f.kind, f.detail);
    }
    let status = if report.only_ciphertext {
        "OK: only ciphertext"
    } else if report.clean {
        "OK: well-formed seals, not proven genuine"
    } else {
        "NOT CLEAN"
    };
    say!("{}", report.headline());
    say!("{status} — report digest {}", report.digest);
}
