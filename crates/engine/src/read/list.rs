//! What the app's mail view reads: the folder list, a folder a page at a
//! time, a body made safe for the sandboxed frame, an attachment's bytes.

use anyhow::Context as _;
use coffer_core::html::SafeBody;
pub use coffer_store::{FolderCount, ListRow};

use crate::{Code, Vault, refusal};

/// The most rows one page may ask for.
pub const MAX_PAGE: u64 = 2_000;

/// One page of a folder's message list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Rows in the folder (conversations, when grouped).
    pub total: u64,
    /// The rows asked for.
    pub rows: Vec<ListRow>,
}

/// An attachment's description and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// A file name safe to create: the sender's, stripped of paths and
    /// control characters, or one made from the type.
    pub file_name: String,
    /// `type/subtype`.
    pub content_type: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

impl Vault {
    /// Every folder with messages in the index, with total and unread counts.
    pub fn folders(&self) -> anyhow::Result<Vec<FolderCount>> {
        self.store().folder_counts().context("reading the index")
    }

    /// Rows `offset..offset + limit` of `folder`, newest first; with
    /// `threads`, one row per conversation (its newest message).
    pub fn folder_page(
        &self,
        account: &str,
        folder: &str,
        offset: u64,
        limit: u64,
        threads: bool,
    ) -> anyhow::Result<Page> {
        let limit = limit.min(MAX_PAGE);
        let (total, rows) = if threads {
            self.store()
                .folder_thread_page(account, folder, offset, limit)
        } else {
            self.store().folder_page(account, folder, offset, limit)
        }
        .context("reading the index")?;
        Ok(Page { total, rows })
    }

    /// The body of message `id` as a document for the sandboxed frame
    /// ([`coffer_core::html`]), with `highlight` words marked; and whether
    /// the message had an HTML body.
    pub async fn safe_body(
        &self,
        id: i64,
        highlight: &[String],
    ) -> anyhow::Result<(SafeBody, bool)> {
        let raw = self.original(id).await?;
        Ok(coffer_core::mime::safe_body(&raw, highlight))
    }

    /// Attachment `index` of message `id` (numbered as the message's
    /// attachment list), decoded.
    pub async fn attachment(&self, id: i64, index: usize) -> anyhow::Result<AttachmentFile> {
        let raw = self.original(id).await?;
        let (info, bytes) = coffer_core::mime::attachment(&raw, index).ok_or_else(|| {
            refusal(
                Code::BadRequest,
                format!("message {id} has no attachment {index}"),
            )
        })?;
        Ok(AttachmentFile {
            file_name: safe_file_name(info.name.as_deref(), &info.content_type, index),
            content_type: info.content_type,
            bytes,
        })
    }
}

/// A file name that cannot escape a directory or hide its type: the last
/// path component, without control characters, leading dots or reserved
/// characters, at most 120 characters; else `attachment-N` with an
/// extension from the type.
pub fn safe_file_name(name: Option<&str>, content_type: &str, index: usize) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        // Right-to-left overrides can make `exe.pdf` look like `fdp.exe`.
        .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if !cleaned.is_empty() {
        return cleaned;
    }
    let ext = match content_type {
        "application/pdf" => ".pdf",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "message/rfc822" => ".eml",
        "text/calendar" => ".ics",
        _ => ".bin",
    };
    format!("attachment-{}{ext}", index + 1)
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn file_names_cannot_escape_or_disguise() {
        assert_eq!(
            safe_file_name(Some("../../.bashrc"), "text/plain", 0),
            "bashrc"
        );
        assert_eq!(
            safe_file_name(Some("C:\\x\\report.pdf"), "application/pdf", 0),
            "report.pdf"
        );
        assert_eq!(
            safe_file_name(Some("inv\u{202e}fdp.exe"), "x/y", 0),
            "invfdp.exe"
        );
        assert_eq!(
            safe_file_name(Some("  "), "application/pdf", 2),
            "attachment-3.pdf"
        );
        assert_eq!(
            safe_file_name(None, "message/rfc822", 0),
            "attachment-1.eml"
        );
        assert_eq!(safe_file_name(Some("a\nb?.txt"), "text/plain", 0), "ab.txt");
    }
}
