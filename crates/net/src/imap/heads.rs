//! The first bytes of many messages at once, for read-only inspection (audit).

use std::collections::BTreeMap;

use super::ImapSession;
use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use crate::NetError;

/// The start of a message and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHead {
    /// Its UID.
    pub uid: u32,
    /// Its flags as IMAP atoms.
    pub flags: Vec<String>,
    /// INTERNALDATE as seconds since the Unix epoch.
    pub internaldate: i64,
    /// RFC822.SIZE: the whole message's size in bytes.
    pub size: u64,
    /// The first bytes of the message (at most what was asked for).
    pub head: Vec<u8>,
}

/// How many UIDs one FETCH asks for: keeps each response well under the
/// response budget while needing few round trips.
const BATCH: usize = 250;

impl ImapSession {
    /// The first `head_bytes` bytes, flags, INTERNALDATE and size of each of
    /// `uids`, with `BODY.PEEK` (nothing is marked read). Messages that
    /// vanish meanwhile are simply missing from the result.
    pub async fn fetch_heads(
        &mut self,
        uids: &[u32],
        head_bytes: u32,
    ) -> Result<Vec<MessageHead>, NetError> {
        let mut by_uid: BTreeMap<u32, FetchItems> = BTreeMap::new();
        for chunk in uids.chunks(BATCH) {
            let line = format!(
                "UID FETCH {} (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.{head_bytes}>)",
                uid_set(chunk)?
            );
            by_uid.extend(
                self.uid_fetch_items(&line, "fetching message heads", true, |_| true)
                    .await?,
            );
        }
        by_uid
            .into_iter()
            .map(|(uid, mut items)| {
                // Only a reply from the first byte is the head.
                let head = match items.body_origin {
                    None => items.body.take().unwrap_or_default(),
                    Some(0) => items.take_piece(0).unwrap_or_default(),
                    Some(_) => Vec::new(),
                };
                Ok(MessageHead {
                    uid,
                    flags: FetchItems::required(items.flags, "FLAGS", uid)?,
                    internaldate: FetchItems::required(items.internaldate, "INTERNALDATE", uid)?,
                    size: u64::from(FetchItems::required(items.size, "RFC822.SIZE", uid)?),
                    head,
                })
            })
            .collect()
    }

    /// The server's leaf certificate (DER), when the session runs over TLS.
    pub fn peer_certificate_der(&self) -> Option<Vec<u8>> {
        self.session.get_ref().peer_certificate_der()
    }
}
