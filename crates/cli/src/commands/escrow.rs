//! `coffer escrow …`: the organisation escrow recipient of a vault (set,
//! remove), and what the firm does with its key, with no vault (open,
//! export).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use coffer_engine::escrow::{MailboxExport, export_mailbox, read_identity};
use coffer_engine::read::export::ExportTarget;

use super::progress::counter;
use crate::server::ServerArgs;

/// `coffer escrow …`
#[derive(Debug, Subcommand)]
pub enum EscrowCommand {
    /// Also seal every new message to the organisation's age recipient,
    /// pinned by its fingerprint (a mismatch refuses). Needs the passphrase;
    /// seals already made change only with `rotate`.
    Set {
        /// The organisation's recipient (`age1…`).
        recipient: String,
        /// Its fingerprint, as the firm publishes it (`docs/PROFILE.md`).
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: String,
    },
    /// Stop sealing new messages to the organisation's recipient.
    Remove,
    /// For the firm, not the employee: open sealed messages (.eml files as
    /// the server stores them) with the organisation's key alone, no vault.
    Open(OpenArgs),
    /// For the firm: download a mailbox's seals and write the originals,
    /// opened with the organisation's key alone (read-only on the server).
    Export(Box<ExportArgs>),
}

/// Options of `coffer escrow open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The organisation's age identity file (AGE-SECRET-KEY-1…).
    #[arg(long, value_name = "ORG_KEY_FILE")]
    pub identity: PathBuf,
    /// Sealed messages, as stored on the server.
    #[arg(required = true, value_name = "SEALED")]
    pub sealed: Vec<PathBuf>,
    /// Write each original into DIR (as NAME.original.eml) instead of
    /// standard output (which takes one message only).
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Options of `coffer escrow export`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["maildir", "mbox"])))]
pub struct ExportArgs {
    /// The organisation's age identity file (AGE-SECRET-KEY-1…).
    #[arg(long, value_name = "ORG_KEY_FILE")]
    pub identity: PathBuf,
    /// The mailbox.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Write a Maildir tree into DIR (which must be empty or new).
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// Write one mboxrd file (which must not exist).
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
    /// Only this folder (repeatable).
    #[arg(long = "folder", value_name = "FOLDER")]
    pub folders: Vec<String>,
}

/// Said with everything opened by the organisation's key.
const UNCHECKED: &str = "the organisation's key cannot check a seal's authenticity (its MAC \
                         key is the employee's): a message anyone encrypted to the \
                         organisation's recipient would open too";

fn identity(path: &Path) -> anyhow::Result<coffer_engine::core::Identity> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the identity file {}", path.display()))?;
    read_identity(&text.into())
}

/// Runs an escrow subcommand.
pub fn run(dir: &Path, pass_file: Option<&Path>, command: EscrowCommand) -> anyhow::Result<()> {
    match command {
        EscrowCommand::Set {
            recipient,
            fingerprint,
        } => {
            let mut vault = super::unlock(dir, pass_file)?;
            let on = vault.set_escrow(&recipient, &fingerprint)?;
            say!(
                "escrow is on: new seals are also encrypted to {} (fingerprint {}); seals \
                 already on the server change only with `coffer rotate`",
                on.recipient,
                on.fingerprint
            );
        }
        EscrowCommand::Remove => {
            let mut vault = super::unlock(dir, pass_file)?;
            match vault.remove_escrow()? {
                Some(off) => say!(
                    "escrow is off: new seals go to this vault alone (was {}); seals already \
                     made stay readable by that key until `coffer rotate`",
                    off.fingerprint
                ),
                None => say!("escrow was not on"),
            }
        }
        EscrowCommand::Open(args) => open(&args)?,
        EscrowCommand::Export(args) => export(&args)?,
    }
    Ok(())
}

fn open(args: &OpenArgs) -> anyhow::Result<()> {
    let identity = identity(&args.identity)?;
    if args.out.is_none() && args.sealed.len() > 1 {
        anyhow::bail!("several messages need --out DIR");
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    for path in &args.sealed {
        let sealed = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let opened = coffer_engine::escrow::open(&identity, &sealed)
            .with_context(|| format!("opening {}", path.display()))?;
        match &args.out {
            None => {
                std::io::stdout()
                    .write_all(&opened.original)
                    .context("writing the original")?;
            }
            Some(out) => {
                let name = path
                    .file_stem()
                    .map_or_else(|| "message".into(), |s| s.to_string_lossy().into_owned());
                let target = out.join(format!("{name}.original.eml"));
                let mut file = std::fs::File::create_new(&target)
                    .with_context(|| format!("creating {}", target.display()))?;
                file.write_all(&opened.original)
                    .with_context(|| format!("writing {}", target.display()))?;
                say!(
                    "{} → {} (folder {:?}, {} bytes)",
                    path.display(),
                    target.display(),
                    opened.manifest.folder,
                    opened.original.len()
                );
            }
        }
    }
    warn!("coffer: note: {UNCHECKED}");
    Ok(())
}

fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let identity = identity(&args.identity)?;
    // With --oauth, a sign-in for this run only: the token is never stored.
    let (password, oauth) = args.server.run_login()?;
    let target = match (&args.maildir, &args.mbox) {
        (Some(d), _) => ExportTarget::Maildir(d.clone()),
        (None, Some(f)) => ExportTarget::Mbox(f.clone()),
        (None, None) => anyhow::bail!("name --maildir DIR or --mbox FILE"),
    };
    let opts = MailboxExport {
        imap: args.server.imap_config()?,
        user: args.server.user.clone(),
        password,
        oauth,
        folders: args.folders.clone(),
        target,
    };
    let bar = counter("opening");
    let summary = super::runtime()?
        .block_on(export_mailbox(&identity, &opts, |s| {
            bar.set_position(s.opened)
        }))
        .context("exporting with the organisation's key")?;
    bar.finish_and_clear();
    for why in &summary.not_opened {
        warn!("coffer: not opened: {why}");
    }
    say!(
        "opened {} sealed message(s), {} bytes; {} plaintext message(s) left out; {} seal(s) \
         the key does not open",
        summary.opened,
        summary.bytes,
        summary.not_seals,
        summary.not_opened.len()
    );
    warn!("coffer: note: {UNCHECKED}");
    Ok(())
}
