//! Filling the message index from originals in hand: what a genuine seal's
//! original says becomes an index row (and its bytes go to the body cache).
//! A seal this vault cannot vouch for becomes a row without content.

use coffer_core::mime::{Mailbox, MessageContent, read_message};
use coffer_core::{SealId, seal::outer::MARKER_HEADER};
use coffer_store::{AttachmentInfo, CopyPlace, IndexEntry, NewEntry, Store, Trust};

/// A sealed copy on the server whose original is in hand.
pub(crate) struct SealedOriginal<'a> {
    /// Where the copy is.
    pub(crate) place: CopyPlace,
    /// Its seal id.
    pub(crate) seal_id: SealId,
    /// The folder the manifest names (the original's folder).
    pub(crate) sealed_folder: &'a str,
    /// The copy's flags.
    pub(crate) flags: Vec<String>,
    /// The original's INTERNALDATE.
    pub(crate) internaldate: i64,
    /// The original's bytes, exactly.
    pub(crate) original: &'a [u8],
}

/// Indexes genuine seals' originals, in hand, and caches their bytes, in one
/// transaction; returns how far each row's content is trusted
/// ([`Trust::Wrapped`] for a seal of a seal). A failure is logged, not
/// returned: the index can always be rebuilt from the server, and sealing
/// must not stop for it.
pub(crate) fn record_many(store: &Store, sealed: &[SealedOriginal<'_>]) -> Vec<Option<Trust>> {
    let entries: Vec<NewEntry> = sealed
        .iter()
        .map(|s| {
            if is_coffer_seal(s.original) {
                // A genuine seal of something that itself looks like a seal
                // (a forgery or a foreign seal the sealing engine wrapped):
                // listed, never read as mail.
                bare(s, Trust::Wrapped)
            } else {
                entry(s, read_message(s.original))
            }
        })
        .collect();
    let rows: Vec<(&NewEntry, Option<&[u8]>)> = entries
        .iter()
        .zip(sealed)
        .map(|(e, s)| (e, Some(s.original)))
        .collect();
    match store.index_put_many(&rows) {
        Ok(_) => entries.iter().map(|e| e.entry.trust).collect(),
        Err(error) => {
            tracing::warn!(%error, messages = sealed.len(),
                "could not index sealed messages (coffer rebuild will)");
            vec![None; sealed.len()]
        }
    }
}

/// Genuine seals opened one at a time (a rebuild, seals another device
/// made), indexed a batch at a time: one transaction per batch, and memory
/// bounded by the batch.
#[derive(Default)]
pub(crate) struct IndexBuffer {
    held: Vec<Held>,
    bytes: usize,
}

struct Held {
    place: CopyPlace,
    seal_id: SealId,
    sealed_folder: String,
    flags: Vec<String>,
    internaldate: i64,
    original: Vec<u8>,
}

impl IndexBuffer {
    /// Messages held before they are written.
    const MESSAGES: usize = 64;
    /// Bytes of originals held before they are written.
    const BYTES: usize = 16 << 20;

    /// Holds a genuine seal's original; writes the batch when it is full.
    /// Returns what the written rows' trust was, if it wrote.
    pub(crate) fn push(
        &mut self,
        store: &Store,
        place: CopyPlace,
        opened: coffer_core::Opened,
        flags: Vec<String>,
    ) -> Vec<Option<Trust>> {
        self.bytes += opened.original.len();
        self.held.push(Held {
            place,
            seal_id: opened.manifest.seal_id,
            sealed_folder: opened.manifest.folder,
            flags,
            internaldate: opened.manifest.internaldate.unix_seconds(),
            original: opened.original,
        });
        if self.held.len() >= Self::MESSAGES || self.bytes >= Self::BYTES {
            self.flush(store)
        } else {
            Vec::new()
        }
    }

    /// Writes what is held.
    pub(crate) fn flush(&mut self, store: &Store) -> Vec<Option<Trust>> {
        let held = std::mem::take(&mut self.held);
        self.bytes = 0;
        let sealed: Vec<SealedOriginal<'_>> = held
            .iter()
            .map(|h| SealedOriginal {
                place: h.place.clone(),
                seal_id: h.seal_id,
                sealed_folder: &h.sealed_folder,
                flags: h.flags.clone(),
                internaldate: h.internaldate,
                original: &h.original,
            })
            .collect();
        record_many(store, &sealed)
    }
}

/// Lists a seal this vault cannot vouch for, without content.
pub(crate) fn record_unverified(store: &Store, place: CopyPlace, flags: Vec<String>) {
    let new = NewEntry {
        entry: IndexEntry {
            place: Some(place),
            trust: Some(Trust::Unverified),
            flags,
            ..IndexEntry::default()
        },
        body: String::new(),
    };
    if let Err(error) = store.index_put(&new, None) {
        tracing::warn!(%error, "could not list an unverified seal in the index");
    }
}

fn bare(sealed: &SealedOriginal<'_>, trust: Trust) -> NewEntry {
    NewEntry {
        entry: IndexEntry {
            place: Some(sealed.place.clone()),
            seal_id: sealed.seal_id.to_string(),
            trust: Some(trust),
            sealed_folder: moved_from(sealed),
            flags: sealed.flags.clone(),
            internaldate: sealed.internaldate,
            size: sealed.original.len() as u64,
            date: sealed.internaldate,
            ..IndexEntry::default()
        },
        body: String::new(),
    }
}

fn moved_from(sealed: &SealedOriginal<'_>) -> Option<String> {
    // The manifest holds the folder's name in its manifest form.
    let here = coffer_core::seal::manifest_folder(&sealed.place.folder);
    (sealed.sealed_folder != here).then(|| sealed.sealed_folder.to_owned())
}

/// Whether `original`'s header carries Coffer's marker.
fn is_coffer_seal(original: &[u8]) -> bool {
    let head_end = original
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(original.len().min(64 * 1024));
    let head = String::from_utf8_lossy(original.get(..head_end).unwrap_or_default());
    head.lines().any(|line| {
        line.split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case(MARKER_HEADER))
    })
}

fn entry(sealed: &SealedOriginal<'_>, content: MessageContent) -> NewEntry {
    let mut new = bare(sealed, Trust::Genuine);
    let e = &mut new.entry;
    e.date = content.date.unwrap_or(sealed.internaldate);
    e.from = addresses(&content.from);
    e.to = addresses(&content.to);
    e.cc = addresses(&content.cc);
    e.bcc = addresses(&content.bcc);
    e.subject = content.subject.clone().unwrap_or_default();
    e.message_id = content.message_id.clone().unwrap_or_default();
    e.in_reply_to = content.in_reply_to.first().cloned().unwrap_or_default();
    e.thread = thread_key(&content, &sealed.seal_id);
    e.references = content.references;
    e.has_attachment = content.attachments.iter().any(|a| !a.inline);
    e.attachments = content
        .attachments
        .into_iter()
        .map(|a| AttachmentInfo {
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            inline: a.inline,
        })
        .collect();
    new.body = content.text;
    new
}

/// The conversation a message belongs to: the root its References name,
/// else what it replies to, else itself.
fn thread_key(content: &MessageContent, seal_id: &SealId) -> String {
    content
        .references
        .first()
        .or(content.in_reply_to.first())
        .or(content.message_id.as_ref())
        .cloned()
        .unwrap_or_else(|| format!("seal:{seal_id}"))
}

/// `Name <address>, …` as a person reads it.
fn addresses(list: &[Mailbox]) -> String {
    list.iter()
        .map(|m| match (&m.name, m.address.is_empty()) {
            (Some(name), false) => format!("{name} <{}>", m.address),
            (Some(name), true) => name.clone(),
            (None, _) => m.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_inside_a_seal_is_recognised_by_its_marker() {
        assert!(is_coffer_seal(b"From: x\r\nX-Coffer-Seal: 1\r\n\r\nbody"));
        assert!(is_coffer_seal(b"x-coffer-seal : 1\r\n\r\n"));
        assert!(!is_coffer_seal(
            b"From: x\r\n\r\nX-Coffer-Seal: 1 in the body\r\n"
        ));
    }

    #[test]
    fn threads_follow_references_then_replies() {
        let id = SealId::from_bytes([1; 32]);
        let mut c = MessageContent {
            message_id: Some("c@x".into()),
            ..MessageContent::default()
        };
        assert_eq!(thread_key(&c, &id), "c@x");
        c.in_reply_to = vec!["b@x".into()];
        assert_eq!(thread_key(&c, &id), "b@x");
        c.references = vec!["a@x".into(), "b@x".into()];
        assert_eq!(thread_key(&c, &id), "a@x");
        assert!(thread_key(&MessageContent::default(), &id).starts_with("seal:"));
    }
}
