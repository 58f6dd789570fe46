//! UID STORE +FLAGS (\Deleted) on several originals in one command, which the server confirmed, and their flags now.

use std::collections::BTreeMap;

use super::uid_set::uid_set;
use super::{ImapSession, timed};
use crate::NetError;

impl ImapSession {
    /// Marks the messages `uids` of the selected folder `\Deleted` and
    /// returns those the server confirms carry the flag now, with all their
    /// flags as read back; a UID missing from the answer no longer exists. Like
    /// [`ImapSession::uid_store_deleted`], a server that accepts the command
    /// without setting the flag on a message that exists is an error.
    pub async fn uid_store_deleted_many(
        &mut self,
        uids: &[u32],
    ) -> Result<BTreeMap<u32, Vec<String>>, NetError> {
        if uids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let set = uid_set(uids)?;
        timed(self.limits, "marking messages deleted", async {
            self.command(
                "UID STORE",
                &format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"),
                super::command::ignore,
            )
            .await
        })
        .await?;
        // Read the flags back: the confirmation, whether or not the flag was
        // already there.
        let (deleted, without): (BTreeMap<u32, Vec<String>>, BTreeMap<u32, Vec<String>>) = self
            .uid_flags_many(uids)
            .await?
            .into_iter()
            .partition(|(_, flags)| flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted")));
        if let Some(uid) = without.keys().next() {
            return Err(NetError::Refused {
                command: "UID STORE",
                reason: format!(
                    "the server accepted it but did not set \\Deleted on UID {uid}; is the \
                     folder open read-only?"
                ),
            });
        }
        Ok(deleted)
    }
}
