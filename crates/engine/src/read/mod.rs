//! Reading what was sealed: search the index, show a message, and get an
//! original's exact bytes (from the body cache, else fetched and opened).
//!
//! * [`export`] — Maildir and mbox copies of the originals;
//! * [`rebuild`] — the index filled (and kept current) from the server;
//! * `change` — flag changes that reach the sealed copy on the server.

mod change;
pub mod export;
pub mod list;
pub mod rebuild;

pub use change::Mark;

use anyhow::Context as _;
use coffer_core::Authenticity;
use coffer_core::mime::read_message;
use coffer_store::Indexed;
pub use coffer_store::{AttachmentInfo, Trust};

/// Unix seconds as RFC 3339 UTC, as every date in the engine's output.
pub use coffer_core::calendar::rfc3339_utc as utc;
use serde::Serialize;

use crate::{Code, Vault, refusal};

/// One search result, as `coffer search --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// Stable on this device while the message stays where it is.
    pub id: i64,
    /// The account.
    pub account: String,
    /// The folder the sealed copy is in.
    pub folder: String,
    /// The Date field (else the INTERNALDATE), RFC 3339 UTC.
    pub date: String,
    /// `From`.
    pub from: String,
    /// `To`.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The flags (`\Seen`, `\Flagged`, …).
    pub flags: Vec<String>,
    /// Text around the match; matched words between `[` and `]`.
    pub snippet: String,
    /// Attachment file names (unnamed ones as their type).
    pub attachments: Vec<String>,
    /// The conversation's key.
    pub thread: String,
}

/// A conversation among the results (`--threads`): newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadHit {
    /// The conversation's key.
    pub thread: String,
    /// Its matching messages, newest first.
    pub messages: Vec<SearchHit>,
}

/// A message as `coffer show` and the app's reader show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// Its search fields.
    #[serde(flatten)]
    pub summary: SearchHit,
    /// `Cc`.
    pub cc: String,
    /// `Bcc` (in sent mail and drafts).
    pub bcc: String,
    /// The Message-ID.
    pub message_id: String,
    /// `genuine`: opened and verified with this vault's keys.
    pub trust: Trust,
    /// The folder the seal names, when the copy was found elsewhere.
    pub moved_from: Option<String>,
    /// The body as text.
    pub text: String,
    /// Attachments: name, type, size.
    pub attachments: Vec<coffer_store::AttachmentInfo>,
}

fn hit(m: &Indexed, snippet: String) -> SearchHit {
    let e = &m.entry;
    let place = e.place.clone().unwrap_or_else(|| coffer_store::CopyPlace {
        account: String::new(),
        folder: String::new(),
        uid_validity: 0,
        uid: 0,
    });
    SearchHit {
        id: m.id,
        account: place.account,
        folder: place.folder,
        date: crate::rfc3339::utc(e.date),
        from: e.from.clone(),
        to: e.to.clone(),
        subject: e.subject.clone(),
        flags: e.flags.clone(),
        snippet,
        attachments: e
            .attachments
            .iter()
            .filter(|a| !a.inline)
            .map(|a| a.name.clone().unwrap_or_else(|| a.content_type.clone()))
            .collect(),
        thread: e.thread.clone(),
    }
}

/// The body cache: originals kept in the encrypted database so reading
/// needs no download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BodyCache {
    /// Bodies cached.
    pub messages: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The bound; the least recently used go first past it.
    pub limit_bytes: u64,
}

impl Vault {
    /// The body cache's use and bound; with `limit`, sets the bound first
    /// (and trims the cache to it).
    pub fn body_cache(&self, limit: Option<u64>) -> anyhow::Result<BodyCache> {
        if let Some(limit) = limit {
            self.store()
                .set_body_cache_limit(limit)
                .context("setting the body cache's size")?;
        }
        let (messages, bytes) = self.store().body_cache_usage()?;
        Ok(BodyCache {
            messages,
            bytes,
            limit_bytes: self.store().body_cache_limit()?,
        })
    }

    /// Genuine messages matching `query` (the language of
    /// [`coffer_core::search`]), newest first, at most `limit`. A malformed
    /// query is a [`Code::BadRequest`] naming the position and what was
    /// expected.
    pub fn search(&self, query: &str, limit: usize) -> anyhow::Result<Vec<SearchHit>> {
        let parsed = coffer_core::search::parse(query, crate::rfc3339::now_unix())
            .map_err(|e| refusal(Code::BadRequest, format!("search query: {e}")))?;
        let hits = self
            .store()
            .index_search(&parsed, limit)
            .context("searching the index")?;
        Ok(hits
            .into_iter()
            .map(|h| hit(&h.message, h.snippet))
            .collect())
    }

    /// [`Vault::search`] grouped by conversation, the conversation with the
    /// newest match first.
    pub fn search_threads(&self, query: &str, limit: usize) -> anyhow::Result<Vec<ThreadHit>> {
        let mut threads: Vec<ThreadHit> = Vec::new();
        for h in self.search(query, limit)? {
            match threads.iter_mut().find(|t| t.thread == h.thread) {
                Some(t) => t.messages.push(h),
                None => threads.push(ThreadHit {
                    thread: h.thread.clone(),
                    messages: vec![h],
                }),
            }
        }
        Ok(threads)
    }

    /// The indexed message `id`, or [`Code::BadRequest`] when there is none.
    pub fn indexed(&self, id: i64) -> anyhow::Result<Indexed> {
        self.store()
            .index_get(id)
            .context("reading the index")?
            .ok_or_else(|| {
                refusal(
                    Code::BadRequest,
                    format!("there is no message {id} in the index (see `coffer search`)"),
                )
            })
    }

    /// The message `id` for reading: headers, text, attachments. Its text
    /// comes from the index; nothing is fetched.
    pub fn message(&self, id: i64) -> anyhow::Result<MessageView> {
        let m = self.indexed(id)?;
        let text = self
            .store()
            .index_body_text(id)
            .context("reading the index")?
            .unwrap_or_default();
        let e = &m.entry;
        Ok(MessageView {
            summary: hit(&m, String::new()),
            cc: e.cc.clone(),
            bcc: e.bcc.clone(),
            message_id: e.message_id.clone(),
            trust: e.trust.unwrap_or(Trust::Unverified),
            moved_from: e.sealed_folder.clone(),
            text,
            attachments: e.attachments.clone(),
        })
    }

    /// The original bytes of message `id`, exactly: from the body cache, or
    /// fetched from the server, opened and verified (then cached). Only a
    /// genuine seal's original is ever returned.
    pub async fn original(&self, id: i64) -> anyhow::Result<Vec<u8>> {
        let m = self.indexed(id)?;
        if m.entry.trust != Some(Trust::Genuine) {
            return Err(refusal(
                Code::BadRequest,
                format!("message {id} is not a genuine seal of this vault; it cannot be read"),
            ));
        }
        if let Some(raw) = self
            .store()
            .cached_body(id)
            .context("reading the body cache")?
        {
            return Ok(raw);
        }
        let place = m.entry.place.context("an index row without a place")?;
        let conn = self.connection(Some(&place.account))?;
        let mut session = conn.connect().await?;
        let status = session
            .examine(&place.folder)
            .await
            .with_context(|| format!("opening folder {:?}", place.folder))?;
        if status.uid_validity != place.uid_validity {
            return Err(refusal(
                Code::FolderChanged,
                format!(
                    "folder {:?} changed on the server since it was indexed; run `coffer sync`",
                    place.folder
                ),
            ));
        }
        let fetched = session
            .uid_fetch_one(place.uid)
            .await
            .context("fetching the sealed message")?
            .ok_or_else(|| {
                refusal(
                    Code::FolderChanged,
                    "the sealed message is no longer on the server; run `coffer sync`",
                )
            })?;
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after fetching a message failed");
        }
        let opened = coffer_core::open(self.keys(), &fetched.body).context("opening the seal")?;
        if opened.authenticity != Authenticity::Verified {
            return Err(refusal(
                Code::Failed,
                "the sealed message on the server no longer verifies with this vault's keys",
            ));
        }
        self.store()
            .cache_body(id, &opened.original)
            .context("caching the message")?;
        Ok(opened.original)
    }

    /// The HTML body of message `id`, if it has one (unsanitised: only for
    /// the sandboxed frame, or a file the user asked for).
    pub async fn html(&self, id: i64) -> anyhow::Result<Option<String>> {
        Ok(read_message(&self.original(id).await?).html)
    }
}
