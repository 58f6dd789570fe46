//! Commands of the mail view: folders, the message list, the reader (a
//! body made safe for the sandboxed frame), attachments, flags, moves,
//! deletes, search, and opening a link the user confirmed.

use std::path::{Path, PathBuf};

use coffer_engine::Code;
use coffer_engine::read::{Mark, SearchHit, Trust};
use serde::Serialize;
use tauri::State;

use crate::engine::Engine;
use crate::error::CommandError;

/// One folder of the folder list.
#[derive(Debug, Serialize)]
pub struct Folder {
    account: String,
    name: String,
    total: u64,
    unread: u64,
}

#[tauri::command]
pub async fn folders(engine: State<'_, Engine>) -> Result<Vec<Folder>, CommandError> {
    engine
        .vault(|vault| async move {
            Ok(vault
                .folders()?
                .into_iter()
                .map(|f| Folder {
                    account: f.account,
                    name: f.folder,
                    total: f.total,
                    unread: f.unread,
                })
                .collect())
        })
        .await
}

/// One row of the message list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRow {
    id: i64,
    date: String,
    from: String,
    subject: String,
    flags: Vec<String>,
    has_attachment: bool,
    thread: String,
    thread_size: u64,
    trust: Option<Trust>,
}

/// A page of the message list.
#[derive(Debug, Serialize)]
pub struct MessagePage {
    total: u64,
    rows: Vec<MessageRow>,
}

#[tauri::command]
pub async fn messages(
    engine: State<'_, Engine>,
    account: String,
    folder: String,
    offset: u64,
    limit: u64,
    threads: bool,
) -> Result<MessagePage, CommandError> {
    engine
        .vault(move |vault| async move {
            let page = vault.folder_page(&account, &folder, offset, limit, threads)?;
            Ok(MessagePage {
                total: page.total,
                rows: page
                    .rows
                    .into_iter()
                    .map(|r| MessageRow {
                        id: r.id,
                        date: coffer_engine::read::utc(r.date),
                        from: r.from,
                        subject: r.subject,
                        flags: r.flags,
                        has_attachment: r.has_attachment,
                        thread: r.thread,
                        thread_size: r.thread_size,
                        trust: r.trust,
                    })
                    .collect(),
            })
        })
        .await
}

/// The reader's headers, text and attachments.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetail {
    id: i64,
    account: String,
    folder: String,
    date: String,
    from: String,
    to: String,
    cc: String,
    bcc: String,
    subject: String,
    flags: Vec<String>,
    message_id: String,
    thread: String,
    trust: Trust,
    moved_from: Option<String>,
    text: String,
    attachments: Vec<coffer_engine::read::AttachmentInfo>,
}

#[tauri::command]
pub async fn message(engine: State<'_, Engine>, id: i64) -> Result<MessageDetail, CommandError> {
    engine
        .vault(move |vault| async move {
            let m = vault.message(id)?;
            let s = m.summary;
            Ok(MessageDetail {
                id: s.id,
                account: s.account,
                folder: s.folder,
                date: s.date,
                from: s.from,
                to: s.to,
                cc: m.cc,
                bcc: m.bcc,
                subject: s.subject,
                flags: s.flags,
                message_id: m.message_id,
                thread: s.thread,
                trust: m.trust,
                moved_from: m.moved_from,
                text: m.text,
                attachments: m.attachments,
            })
        })
        .await
}

/// A body for `<iframe sandbox srcdoc>`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SafeBody {
    html: String,
    is_html: bool,
    blocked_remote: u32,
    links: Vec<String>,
}

#[tauri::command]
pub async fn message_body(
    engine: State<'_, Engine>,
    id: i64,
    highlight: Vec<String>,
) -> Result<SafeBody, CommandError> {
    engine
        .vault(move |vault| async move {
            let (body, is_html) = vault.safe_body(id, &highlight).await?;
            Ok(SafeBody {
                html: body.document,
                is_html,
                blocked_remote: body.blocked_remote,
                links: body.links,
            })
        })
        .await
}

/// Where saved attachments and exported reports go: `COFFER_EXPORT_DIR`,
/// else Downloads, else home.
pub(crate) fn download_dir() -> Result<PathBuf, CommandError> {
    std::env::var_os("COFFER_EXPORT_DIR")
        .map(PathBuf::from)
        .or_else(|| directories::UserDirs::new().and_then(|u| u.download_dir().map(PathBuf::from)))
        .or_else(|| directories::UserDirs::new().map(|u| u.home_dir().to_path_buf()))
        .ok_or_else(|| CommandError::new(Code::Io, "no download or home folder"))
}

/// Writes `bytes` as `name` in `dir`, never replacing a file: `name (2).ext`…
fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, CommandError> {
    use std::io::Write as _;
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.to_owned(), String::new()),
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(bytes).map_err(|e| {
                    CommandError::new(
                        Code::Io,
                        format!("cannot write {}: {e}", candidate.display()),
                    )
                })?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(CommandError::new(
                    Code::Io,
                    format!("cannot write {}: {e}", candidate.display()),
                ));
            }
        }
    }
    Err(CommandError::new(
        Code::WouldOverwrite,
        format!("too many files named like {name} in {}", dir.display()),
    ))
}

async fn save(engine: &Engine, id: i64, index: usize) -> Result<PathBuf, CommandError> {
    engine
        .vault(move |vault| async move {
            let file = vault.attachment(id, index).await?;
            write_new(&download_dir()?, &file.file_name, &file.bytes)
        })
        .await
}

/// Saves an attachment (the user's explicit act: the one way decrypted
/// mail reaches the disk outside the vault) and returns its path.
#[tauri::command]
pub async fn save_attachment(
    engine: State<'_, Engine>,
    id: i64,
    index: usize,
) -> Result<String, CommandError> {
    Ok(save(&engine, id, index).await?.display().to_string())
}

/// Saves an attachment as [`save_attachment`] does and opens it with the
/// system's application for its type.
#[tauri::command]
pub async fn open_attachment(
    engine: State<'_, Engine>,
    id: i64,
    index: usize,
) -> Result<String, CommandError> {
    let path = save(&engine, id, index).await?;
    open_with_system(path.as_os_str())?;
    Ok(path.display().to_string())
}

fn marks(names: &[String]) -> Result<Vec<Mark>, CommandError> {
    names
        .iter()
        .map(|m| match m.as_str() {
            "read" => Ok(Mark::Read),
            "unread" => Ok(Mark::Unread),
            "flag" => Ok(Mark::Flag),
            "unflag" => Ok(Mark::Unflag),
            other => Err(CommandError::new(
                Code::BadRequest,
                format!("unknown mark {other:?}"),
            )),
        })
        .collect()
}

#[tauri::command]
pub async fn mark(
    engine: State<'_, Engine>,
    id: i64,
    marks: Vec<String>,
) -> Result<Vec<String>, CommandError> {
    let marks = self::marks(&marks)?;
    engine
        .vault(move |vault| async move { Ok(vault.mark(id, &marks).await?) })
        .await
}

#[tauri::command]
pub async fn move_message(
    engine: State<'_, Engine>,
    id: i64,
    folder: String,
) -> Result<(), CommandError> {
    engine
        .vault(move |vault| async move {
            vault.move_message(id, &folder).await?;
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn delete_message(engine: State<'_, Engine>, id: i64) -> Result<(), CommandError> {
    engine
        .vault(move |vault| async move {
            vault.delete_message(id, false).await?;
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn search(
    engine: State<'_, Engine>,
    query: String,
    limit: usize,
) -> Result<Vec<SearchHit>, CommandError> {
    engine
        .vault(move |vault| async move { Ok(vault.search(&query, limit.min(5_000))?) })
        .await
}

/// Opens a link in the system browser. The UI calls this only after the
/// user saw the real target and confirmed; only `http`, `https` and
/// `mailto` are opened.
#[tauri::command]
pub async fn open_link(engine: State<'_, Engine>, url: String) -> Result<(), CommandError> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s));
    if !allowed || url.chars().any(char::is_control) {
        return Err(CommandError::new(
            Code::BadRequest,
            "only http, https and mailto links are opened",
        ));
    }
    // Only an unlocked app opens links.
    engine
        .run(|core| async move { core.vault().map(drop) })
        .await?;
    open_with_system(std::ffi::OsStr::new(url.trim()))
}

/// Hands `target` to the desktop's opener (`xdg-open`), or to the program
/// named by `COFFER_OPENER` (the end-to-end tests record what was opened).
pub(crate) fn open_with_system(target: &std::ffi::OsStr) -> Result<(), CommandError> {
    let opener = std::env::var_os("COFFER_OPENER").unwrap_or_else(|| "xdg-open".into());
    std::process::Command::new(&opener)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            CommandError::new(
                Code::Io,
                format!("cannot start {}: {e}", Path::new(&opener).display()),
            )
        })
}
