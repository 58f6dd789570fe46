//! UID FETCH of whole messages with BODY.PEEK[] (never sets \Seen): a whole
//! folder, or a set of UIDs in one round trip.

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
    /// The exact bytes of the message.
    pub body: Vec<u8>,
}

const WHOLE: &str = "(UID FLAGS INTERNALDATE BODY.PEEK[])";

impl ImapSession {
    /// Fetches the messages `uids` of the selected folder, whole, with their
    /// flags and INTERNALDATE, in one round trip, without marking any read.
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
        // vanished is not a message we fetched.
        .filter(|(_, items)| items.body.is_some())
        .map(|(uid, items)| {
            Ok(FetchedMessage {
                uid,
                flags: FetchItems::required(items.flags, "FLAGS", uid)?,
                internaldate: FetchItems::required(items.internaldate, "INTERNALDATE", uid)?,
                body: FetchItems::required(items.body, "BODY[]", uid)?,
            })
        })
        .collect()
}
