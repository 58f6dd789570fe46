//! UID FETCH of one whole message with BODY.PEEK[], FLAGS and INTERNALDATE (never sets \Seen).

use super::fetch_items::{self, FetchItems};
use super::{FetchedMessage, ImapSession, timed, uid};
use crate::NetError;

impl ImapSession {
    /// Fetches the message `uid` of the selected folder, whole, without
    /// marking it as read. `None` when no message has that UID (any more).
    ///
    /// The response is bounded by [`crate::Limits::max_response_bytes`]; a
    /// tagged NO is an error, never an empty answer.
    pub async fn uid_fetch_one(&mut self, uid: u32) -> Result<Option<FetchedMessage>, NetError> {
        uid::check(uid)?;
        let line = format!("UID FETCH {uid} (UID FLAGS INTERNALDATE BODY.PEEK[])");
        let mut found = FetchItems::default();
        timed(self.limits, "fetching a message", async {
            let on_fetch = fetch_items::about_uid(uid, true, |items| found.merge(items));
            self.command("UID FETCH", &line, on_fetch).await
        })
        .await?;
        if found.uid.is_none() {
            return Ok(None);
        }
        Ok(Some(FetchedMessage {
            uid,
            flags: FetchItems::required(found.flags, "FLAGS", uid)?,
            internaldate: FetchItems::required(found.internaldate, "INTERNALDATE", uid)?,
            body: FetchItems::required(found.body, "BODY[]", uid)?,
        }))
    }
}
