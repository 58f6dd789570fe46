//! UID FETCH of one whole message with BODY.PEEK[], FLAGS, INTERNALDATE and RFC822.SIZE (never sets \Seen).

use super::fetch::WHOLE;
use super::fetch_items::{self, FetchItems};
use super::{FetchedMessage, ImapSession, timed, uid};
use crate::NetError;

impl ImapSession {
    /// Fetches the message `uid` of the selected folder, whole, without
    /// marking it as read. `None` when no message has that UID (any more).
    ///
    /// The response is bounded by [`crate::Limits::max_response_bytes`]; a
    /// tagged NO is an error, never an empty answer, and so is a partial
    /// body reply (as for [`ImapSession::uid_fetch_many`]).
    pub async fn uid_fetch_one(&mut self, uid: u32) -> Result<Option<FetchedMessage>, NetError> {
        uid::check(uid)?;
        let line = format!("UID FETCH {uid} {WHOLE}");
        let mut found = FetchItems::default();
        timed(self.limits, "fetching a message", async {
            let on_fetch = fetch_items::about_uid(uid, true, |items| found.merge(items));
            self.command("UID FETCH", &line, on_fetch).await
        })
        .await?;
        if found.uid.is_none() {
            return Ok(None);
        }
        FetchedMessage::from_items(uid, found).map(Some)
    }
}
