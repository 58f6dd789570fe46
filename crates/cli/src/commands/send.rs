//! `coffer send` and `coffer outbox`: compose from the command line (the
//! body from standard input), submit, and look after what is still queued.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use coffer_engine::core::compose::AttachmentFile;
use coffer_engine::send::{NewMessage, OutboxState, RecipientState, SendReport};
use coffer_engine::{Code, refusal};

use crate::term::safe_line;

/// Options of `coffer send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// A recipient (`Name <addr>` or `addr`); repeat for more.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Vec<String>,
    /// A copy to.
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    /// A blind copy to: never in the message the recipients get; kept in
    /// your sealed copy in Sent.
    #[arg(long, value_name = "ADDRESS")]
    pub bcc: Vec<String>,
    /// The subject (a reply or a forward takes the original's).
    #[arg(long, default_value = "")]
    pub subject: String,
    /// Attach a file (any type); repeat for more.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// An HTML alternative to the text body, from FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Reply to message ID (from `coffer search`): threading headers, and
    /// its text quoted below yours.
    #[arg(long, value_name = "ID", conflicts_with = "forward")]
    pub reply_to_id: Option<i64>,
    /// Forward message ID, with its attachments.
    #[arg(long, value_name = "ID")]
    pub forward: Option<i64>,
    /// Do not send: keep the message as a sealed draft in Drafts (recipients
    /// optional) and print its id.
    #[arg(long)]
    pub save_draft: bool,
    /// The saved draft this message replaces: removed from the server once
    /// this one is saved or sent.
    #[arg(long, value_name = "ID")]
    pub replaces_draft: Option<i64>,
    /// The account to send from (needed when there are several).
    #[arg(long)]
    pub account: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `coffer outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Try every queued message now.
    #[arg(long)]
    pub retry: bool,
    /// Remove message ID from the outbox (it is not sent).
    #[arg(long, value_name = "ID", conflicts_with = "retry")]
    pub discard: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn content_type(path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "csv" => "text/csv",
        "ics" => "text/calendar",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
    .to_owned()
}

pub fn send(dir: &Path, pass_file: Option<&Path>, args: SendArgs) -> anyhow::Result<()> {
    if args.to.is_empty() && args.cc.is_empty() && args.bcc.is_empty() && !args.save_draft {
        return Err(refusal(
            Code::BadRequest,
            "give at least one --to, --cc or --bcc",
        ));
    }
    let vault = super::unlock(dir, pass_file)?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the message text from standard input (UTF-8)")?;
    let mut attachments = Vec::new();
    for path in &args.attach {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        attachments.push(AttachmentFile {
            name,
            content_type: content_type(path),
            bytes,
        });
    }
    let html = match &args.html {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let message = NewMessage {
        to: args.to,
        cc: args.cc,
        bcc: args.bcc,
        subject: args.subject,
        text,
        html,
        attachments,
        reply_to: args.reply_to_id,
        forward: args.forward,
    };
    let runtime = super::runtime()?;
    if args.save_draft {
        let id = runtime.block_on(vault.save_draft(
            args.account.as_deref(),
            message,
            args.replaces_draft,
        ))?;
        if args.json {
            println!(
                "{}",
                crate::term::json(&serde_json::json!({ "draft": id }))?
            );
        } else {
            say!("saved as draft {id} (sealed, in Drafts)");
        }
        return Ok(());
    }
    let report = runtime.block_on(vault.send(args.account.as_deref(), message))?;
    if let Some(draft) = args.replaces_draft
        && report.state != OutboxState::Failed
    {
        runtime.block_on(vault.discard_draft(draft))?;
    }
    if args.json {
        println!("{}", crate::term::json(&report)?);
    } else {
        print_report(&report);
    }
    outcome(&report)
}

fn print_report(r: &SendReport) {
    for p in &r.recipients {
        match p.state {
            RecipientState::Accepted => say!("sent to {}", safe_line(&p.address)),
            RecipientState::Rejected => warn!(
                "coffer: {} was refused: {}",
                safe_line(&p.address),
                safe_line(&p.reply)
            ),
            RecipientState::Pending => say!("not yet sent to {}", safe_line(&p.address)),
        }
    }
    match (&r.sent_folder, r.provider_copy) {
        (Some(folder), true) => say!(
            "the provider filed its own copy in {}: `coffer seal` (or `coffer watch`) seals it",
            safe_line(folder)
        ),
        (Some(folder), false) => say!("a sealed copy is in {}", safe_line(folder)),
        (None, _) => {}
    }
    if r.state == OutboxState::Queued {
        say!(
            "kept in the outbox as {} (`coffer outbox --retry` sends it; `coffer watch` retries on its own)",
            r.id
        );
    }
}

/// Exit status: 0 when sent; the refusals or the error otherwise.
fn outcome(r: &SendReport) -> anyhow::Result<()> {
    let refused: Vec<&str> = r
        .recipients
        .iter()
        .filter(|p| p.state == RecipientState::Rejected)
        .map(|p| p.address.as_str())
        .collect();
    if !refused.is_empty() {
        return Err(refusal(
            Code::Failed,
            format!(
                "the server refused {} for good: {}",
                refused.join(", "),
                r.error.clone().unwrap_or_default()
            ),
        ));
    }
    match (&r.state, &r.error) {
        (OutboxState::Queued, Some(e)) => Err(refusal(
            Code::Network,
            format!("not sent yet, kept in the outbox as {}: {e}", r.id),
        )),
        (_, Some(e)) if r.sent_folder.is_none() && r.state == OutboxState::Sent => {
            Err(refusal(Code::Incomplete, e.clone()))
        }
        _ => Ok(()),
    }
}

pub fn outbox(dir: &Path, pass_file: Option<&Path>, args: &OutboxArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    if let Some(id) = args.discard {
        vault.discard(id)?;
        say!("removed message {id} from the outbox (it was not sent)");
        return Ok(());
    }
    let reports = match args.retry {
        true => super::runtime()?.block_on(vault.flush_outbox(true))?,
        false => vault.outbox()?,
    };
    if args.json {
        println!("{}", crate::term::json(&reports)?);
        return Ok(());
    }
    if reports.is_empty() {
        say!("the outbox is empty");
    }
    for r in &reports {
        let state = match r.state {
            OutboxState::Queued => "queued",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        };
        say!("{}\t{state}\t{}", r.id, safe_line(&r.subject));
        print_report(r);
        if let Some(e) = &r.error {
            warn!("coffer: {}: {}", r.id, safe_line(e));
        }
    }
    Ok(())
}
