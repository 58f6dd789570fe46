//! `coffer audit`: the read-only check that a mailbox holds only ciphertext.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use coffer_engine::audit::{AuditOptions, AuditProgress, AuditReport, audit, render_html};
use coffer_engine::net::{ImapConfig, Security};
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::SecretString;

/// Options of `coffer audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The IMAP server, as HOST:PORT (IMAPS unless --starttls).
    #[arg(long, value_name = "HOST:PORT")]
    pub imap: String,
    /// The account's user name.
    #[arg(long)]
    pub user: String,
    /// A file whose first line is the account's password.
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// Also trust this CA certificate (PEM), for servers with a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Connect in plaintext and upgrade with STARTTLS (refused if the server does not).
    #[arg(long, conflicts_with = "insecure_loopback")]
    pub starttls: bool,
    /// No TLS at all; only allowed to a loopback address (local test servers).
    #[arg(long)]
    pub insecure_loopback: bool,
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
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:993`).
pub fn parse_host_port(s: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = s
        .rsplit_once(':')
        .with_context(|| format!("{s:?} is not HOST:PORT"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("{s:?} has no host name");
    }
    let port = port
        .parse()
        .with_context(|| format!("{port:?} is not a port number"))?;
    Ok((host.to_owned(), port))
}

/// Reads a password file's first line.
pub fn read_password_file(path: &std::path::Path) -> anyhow::Result<SecretString> {
    let text = SecretString::from(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the password file {}", path.display()))?,
    );
    let first = secrecy::ExposeSecret::expose_secret(&text)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if first.is_empty() {
        bail!("the password file {} is empty", path.display());
    }
    Ok(SecretString::from(first))
}

/// Runs the audit; exit status 0 when everything is sealed, 1 when anything
/// is not (errors are 2, from `main`).
pub fn run(
    args: &AuditArgs,
    keys: Option<&coffer_engine::core::VaultKeys>,
) -> anyhow::Result<ExitCode> {
    let (host, port) = parse_host_port(&args.imap)?;
    let mut imap = ImapConfig::new(host, port);
    imap.ca_file = args.ca_file.clone();
    imap.security = if args.insecure_loopback {
        Security::InsecureLoopback
    } else if args.starttls {
        Security::StartTls
    } else {
        Security::Tls
    };
    let options = AuditOptions {
        imap,
        user: args.user.clone(),
        password: read_password_file(&args.password_file)?,
        folders: args.folders.clone(),
        keys,
        sample: args.sample,
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
    Ok(if report.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
            bar.set_message(folder);
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
    println!(
        "{} message(s) in {} folder(s): {} sealed, {} plaintext, {} other encryption, {} malformed seal(s)",
        t.total,
        report.folders.len(),
        t.sealed,
        t.plaintext,
        t.other_encryption,
        t.malformed_seal
    );
    if let Some(v) = &report.verification {
        println!(
            "verified with the vault's keys: {} of {} genuine{}",
            v.verified,
            v.checked,
            if v.sampled { " (random sample)" } else { "" }
        );
    }
    for f in &report.findings {
        println!("  {} uid {}: {} ({})", f.folder, f.uid, f.kind, f.detail);
    }
    println!(
        "{} — report digest {}",
        if report.clean() {
            "OK: only ciphertext"
        } else {
            "NOT CLEAN"
        },
        report.digest
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() -> anyhow::Result<()> {
        assert_eq!(
            parse_host_port("imap.example.com:993")?,
            ("imap.example.com".into(), 993)
        );
        assert_eq!(parse_host_port("[::1]:143")?, ("::1".into(), 143));
        assert!(parse_host_port("imap.example.com").is_err());
        assert!(parse_host_port(":993").is_err());
        assert!(parse_host_port("h:99999").is_err());
        Ok(())
    }
}
