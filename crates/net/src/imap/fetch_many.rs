//! UID FETCH of several whole messages in one command, with BODY.PEEK[] (never sets \Seen).

use std::collections::BTreeMap;

use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use super::{FetchedMessage, ImapSession, timed};
use crate::NetError;

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
        let line = format!(
            "UID FETCH {} (UID FLAGS INTERNALDATE BODY.PEEK[])",
            uid_set(uids)?
        );
        let mut by_uid: BTreeMap<u32, FetchItems> = BTreeMap::new();
        timed(self.limits, "fetching messages", async {
            self.command("UID FETCH", &line, |response| {
                if let Some(items) = FetchItems::read(response, true).transpose()?
                    && let Some(uid) = items.uid
                    && uids.contains(&uid)
                {
                    by_uid.entry(uid).or_default().merge(items);
                }
                Ok(())
            })
            .await
        })
        .await?;
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
}
