//! `coffer search` and `coffer show`: reading what was sealed.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::Args;
use coffer_engine::read::{MessageView, SearchHit};

use crate::term::{safe, safe_line};

/// Options of `coffer search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Print a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
    /// At most N results [default: 50].
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Group the results by conversation.
    #[arg(long)]
    pub threads: bool,
    /// The query: words, "phrases", warr*, from: to: cc: subject: in:
    /// filename: has:attachment is:unread|read|flagged|answered
    /// before:/after:YYYY-MM-DD newer_than:/older_than:Nd|m|y larger:/smaller:N[KMG],
    /// AND OR NOT -word ( ). Words starting with - are query terms.
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true, trailing_var_arg = true,
          value_name = "QUERY")]
    pub query: Vec<String>,
}

/// Options of `coffer show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The message's id (from `coffer search`).
    pub id: i64,
    /// Write the original message's bytes, exactly (for a file or a pipe:
    /// nothing is escaped).
    #[arg(long, conflicts_with_all = ["html", "headers"])]
    pub raw: bool,
    /// Write the HTML body (unsanitised; for a file or a browser you trust).
    #[arg(long, conflicts_with = "headers")]
    pub html: bool,
    /// Write the original's header block (control characters escaped).
    #[arg(long)]
    pub headers: bool,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with_all = ["raw", "html", "headers"])]
    pub json: bool,
    /// Write attachment N's decoded bytes (numbered from 0 as `--json` lists
    /// them), for a file or a pipe.
    #[arg(long, value_name = "N", conflicts_with_all = ["raw", "html", "headers", "json"])]
    pub attachment: Option<usize>,
}

/// Options of `coffer mark`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true)
    .args(["read", "unread", "flag", "unflag"])))]
pub struct MarkArgs {
    /// The message's id (from `coffer search`).
    pub id: i64,
    /// Mark it read.
    #[arg(long, conflicts_with = "unread")]
    pub read: bool,
    /// Mark it unread.
    #[arg(long)]
    pub unread: bool,
    /// Flag it.
    #[arg(long, conflicts_with = "unflag")]
    pub flag: bool,
    /// Take its flag off.
    #[arg(long)]
    pub unflag: bool,
}

pub fn mark(dir: &Path, pass_file: Option<&Path>, args: &MarkArgs) -> anyhow::Result<()> {
    use coffer_engine::read::Mark;
    let vault = super::unlock(dir, pass_file)?;
    let marks: Vec<Mark> = [
        (args.read, Mark::Read),
        (args.unread, Mark::Unread),
        (args.flag, Mark::Flag),
        (args.unflag, Mark::Unflag),
    ]
    .into_iter()
    .filter_map(|(on, m)| on.then_some(m))
    .collect();
    let flags = super::runtime()?.block_on(vault.mark(args.id, &marks))?;
    println!(
        "message {}: flags now {}",
        args.id,
        safe_line(&flags.join(" "))
    );
    Ok(())
}

/// Options of `coffer move`.
#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The message's id (from `coffer search`).
    pub id: i64,
    /// The folder to move it to.
    pub folder: String,
}

/// Options of `coffer delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The message's id (from `coffer search`).
    pub id: i64,
    /// Remove it from the server at once instead of moving it to Trash.
    #[arg(long)]
    pub now: bool,
}

pub fn move_to(dir: &Path, pass_file: Option<&Path>, args: &MoveArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let place = super::runtime()?.block_on(vault.move_message(args.id, &args.folder))?;
    println!("message {} moved to {}", args.id, safe_line(&place.folder));
    Ok(())
}

pub fn delete(dir: &Path, pass_file: Option<&Path>, args: &DeleteArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    match super::runtime()?.block_on(vault.delete_message(args.id, args.now))? {
        Some(place) => println!("message {} moved to {}", args.id, safe_line(&place.folder)),
        None => println!("message {} removed from the server", args.id),
    }
    Ok(())
}

/// Options of `coffer cache`.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Set the body cache's size in bytes (default 2 GiB; 0 keeps nothing).
    #[arg(long, value_name = "BYTES")]
    pub limit: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `coffer folders`: each indexed folder with its total and unread counts.
pub fn folders(dir: &Path, pass_file: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let folders = vault.folders()?;
    if json {
        let list: Vec<_> = folders
            .iter()
            .map(|f| {
                serde_json::json!({
                    "account": f.account, "folder": f.folder, "total": f.total, "unread": f.unread,
                })
            })
            .collect();
        println!("{}", crate::term::json(&list)?);
        return Ok(());
    }
    if folders.is_empty() {
        say!("no folders in the index yet (run `coffer seal` or `coffer rebuild`)");
    }
    for f in &folders {
        say!(
            "{}\t{}\t{} message(s), {} unread",
            safe_line(&f.account),
            safe_line(&f.folder),
            f.total,
            f.unread
        );
    }
    Ok(())
}

pub fn cache(dir: &Path, pass_file: Option<&Path>, args: &CacheArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let c = vault.body_cache(args.limit)?;
    if args.json {
        println!("{}", crate::term::json(&c)?);
    } else {
        println!(
            "body cache: {} message(s), {} bytes of at most {} (inside the encrypted database)",
            c.messages, c.bytes, c.limit_bytes
        );
    }
    Ok(())
}

pub fn search(dir: &Path, pass_file: Option<&Path>, args: &SearchArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    let query = args.query.join(" ");
    if args.threads {
        let threads = vault.search_threads(&query, args.limit)?;
        if args.json {
            println!("{}", crate::term::json(&threads)?);
        } else {
            for t in &threads {
                let first = t.messages.first();
                println!(
                    "thread ({} message{}): {}",
                    t.messages.len(),
                    if t.messages.len() == 1 { "" } else { "s" },
                    safe_line(first.map_or("", |m| m.subject.as_str()))
                );
                for m in &t.messages {
                    print!("  ");
                    print_hit(m);
                }
            }
        }
        return Ok(());
    }
    let hits = vault.search(&query, args.limit)?;
    if args.json {
        println!("{}", crate::term::json(&hits)?);
    } else if hits.is_empty() {
        eprintln!("no messages match");
    } else {
        for h in &hits {
            print_hit(h);
        }
    }
    Ok(())
}

fn print_hit(h: &SearchHit) {
    let date = h.date.get(..10).unwrap_or(&h.date);
    let unread = if h.flags.iter().any(|f| f.eq_ignore_ascii_case("\\Seen")) {
        ' '
    } else {
        '*'
    };
    println!(
        "{:>6} {unread} {date}  {:<28}  {}{}",
        h.id,
        safe_line(&h.from).chars().take(28).collect::<String>(),
        safe_line(&h.subject),
        if h.attachments.is_empty() {
            ""
        } else {
            "  [attachment]"
        }
    );
    if !h.snippet.is_empty() {
        println!("{:>10}{}", "", safe_line(&h.snippet));
    }
}

pub fn show(dir: &Path, pass_file: Option<&Path>, args: &ShowArgs) -> anyhow::Result<()> {
    let vault = super::unlock(dir, pass_file)?;
    if let Some(index) = args.attachment {
        let file = super::runtime()?.block_on(vault.attachment(args.id, index))?;
        let mut out = std::io::stdout().lock();
        return out
            .write_all(&file.bytes)
            .and_then(|()| out.flush())
            .context("writing to stdout");
    }
    if args.raw || args.headers || args.html {
        let runtime = super::runtime()?;
        let bytes = if args.html {
            runtime
                .block_on(vault.html(args.id))?
                .map(String::into_bytes)
                .unwrap_or_default()
        } else {
            let raw = runtime.block_on(vault.original(args.id))?;
            if args.headers {
                // For reading: escaped like every other text shown.
                safe(&String::from_utf8_lossy(header_block(&raw))).into_bytes()
            } else {
                raw
            }
        };
        let mut out = std::io::stdout().lock();
        return out
            .write_all(&bytes)
            .and_then(|()| out.flush())
            .context("writing to stdout");
    }
    let view = vault.message(args.id)?;
    if args.json {
        println!("{}", crate::term::json(&view)?);
    } else {
        print_view(&view);
    }
    Ok(())
}

/// The header block of a message: everything before the first empty line.
fn header_block(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len());
    raw.get(..end).unwrap_or(raw)
}

fn print_view(v: &MessageView) {
    let m = &v.summary;
    println!("From:    {}", safe_line(&m.from));
    println!("To:      {}", safe_line(&m.to));
    if !v.cc.is_empty() {
        println!("Cc:      {}", safe_line(&v.cc));
    }
    if !v.bcc.is_empty() {
        println!("Bcc:     {}", safe_line(&v.bcc));
    }
    println!("Date:    {}", m.date);
    println!("Subject: {}", safe_line(&m.subject));
    println!(
        "Folder:  {}  (id {}, flags {})",
        safe_line(&m.folder),
        m.id,
        m.flags.join(" ")
    );
    let trust = match (&v.trust, &v.moved_from) {
        (coffer_engine::read::Trust::Genuine, None) => "sealed by this vault, verified".to_owned(),
        (coffer_engine::read::Trust::Genuine, Some(from)) => format!(
            "sealed by this vault, verified; sealed in {} and moved here",
            safe_line(from)
        ),
        _ => "NOT verified: this vault did not seal it; its content is not shown".to_owned(),
    };
    println!("Seal:    {trust}");
    println!();
    println!("{}", safe(&v.text));
    if !v.attachments.is_empty() {
        println!();
        println!("Attachments:");
        for a in &v.attachments {
            println!(
                "  {}  ({}, {} bytes{})",
                safe_line(a.name.as_deref().unwrap_or("(no name)")),
                safe_line(&a.content_type),
                a.size,
                if a.inline { ", inline" } else { "" }
            );
        }
    }
}
