//! UID FETCH of whole messages with BODY.PEEK[] (never sets \Seen) and
//! RFC822.SIZE: a whole folder, or a set of UIDs in one round trip. Only a
//! complete `BODY[]` literal is a whole message; a partial reply is refused.

use std::collections::BTreeMap;

use super::ImapSession;
use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use crate::NetError;

/// A message fetched whole from the open folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// Its UID.
    pub uid: u32,
    /// Its flags as IMAP atoms (`\Seen`, `$Label1`, …).
    pub flags: Vec<String>,
    /// INTERNALDATE as seconds since the Unix epoch.
    pub internaldate: i64,
    /// The exact bytes of the message, as one complete `BODY[]` literal.
    pub body: Vec<u8>,
    /// `RFC822.SIZE`, as the server declared it in the same response.
    pub size: u64,
}

impl FetchedMessage {
    /// Whether the body is as long as the server declared. A mismatch means
    /// the body was cut (or padded) on its way, or that the server reports
    /// estimated sizes (Exchange does unless configured otherwise): only a
    /// second fetch returning the same bytes tells which.
    pub fn size_matches(&self) -> bool {
        u64::try_from(self.body.len()).is_ok_and(|len| len == self.size)
    }

    /// The message from the items gathered for `uid`: every item required,
    /// and the body a whole `BODY[]`, not a partial `BODY[]<origin>` reply
    /// (the server would be passing part of a message off as all of it).
    pub(super) fn from_items(uid: u32, items: FetchItems) -> Result<Self, NetError> {
        if let Some(origin) = items.body_origin {
            return Err(NetError::Protocol(format!(
                "the server answered a whole-message fetch of UID {uid} with a partial body \
                 (BODY[]<{origin}>): refused, the message may be incomplete"
            )));
        }
        Ok(FetchedMessage {
            uid,
            flags: FetchItems::required(items.flags, "FLAGS", uid)?,
            internaldate: FetchItems::required(items.internaldate, "INTERNALDATE", uid)?,
            size: u64::from(FetchItems::required(items.size, "RFC822.SIZE", uid)?),
            body: FetchItems::required(items.body, "BODY[]", uid)?,
        })
    }
}

/// The items of a whole-message fetch (`fetch_one.rs` asks for the same).
pub(super) const WHOLE: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])";

impl ImapSession {
    /// Fetches the messages `uids` of the selected folder, whole, with their
    /// flags, INTERNALDATE and declared size, in one round trip, without
    /// marking any read. A partial body reply for any of them fails the
    /// whole fetch ([`NetError::Protocol`]); a body whose length differs
    /// from its declared size is returned (see
    /// [`FetchedMessage::size_matches`]).
    /// Messages that no longer exist are missing from the result (in UID
    /// order). The caller keeps the batch's total size under
    /// [`crate::Limits::max_response_bytes`] (from `RFC822.SIZE`): the whole
    /// response is held to that budget and fails beyond it.
    pub async fn uid_fetch_many(&mut self, uids: &[u32]) -> Result<Vec<FetchedMessage>, NetError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let line = format!("UID FETCH {} {WHOLE}", uid_set(uids)?);
        let by_uid = self
            .uid_fetch_items(&line, "fetching messages", true, |uid| uids.contains(&uid))
            .await?;
        messages(by_uid)
    }
}

/// Whole messages from gathered FETCH items, in UID order.
fn messages(by_uid: BTreeMap<u32, FetchItems>) -> Result<Vec<FetchedMessage>, NetError> {
    by_uid
        .into_iter()
        // A pushed flag change (no body) about a message that then
        // vanished is not a message we fetched; a partial body reply is
        // refused by from_items.
        .filter(|(_, items)| items.body.is_some() || items.body_origin.is_some())
        .map(|(uid, items)| FetchedMessage::from_items(uid, items))
        .collect()
}
