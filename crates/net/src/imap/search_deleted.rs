//! UID SEARCH DELETED: the messages marked \Deleted in the selected folder (what a bare EXPUNGE would remove).

use imap_proto::{MailboxDatum, Response};

use super::{ImapSession, timed};
use crate::NetError;

impl ImapSession {
    /// The UIDs, ascending, of every message in the selected folder that
    /// carries `\Deleted`.
    pub async fn uid_search_deleted(&mut self) -> Result<Vec<u32>, NetError> {
        let mut uids = Vec::new();
        timed(self.limits, "searching messages", async {
            self.command("UID SEARCH", "UID SEARCH DELETED", |response| {
                if let Response::MailboxData(MailboxDatum::Search(found)) = response {
                    uids.extend_from_slice(found);
                }
                Ok(())
            })
            .await
        })
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }
}
