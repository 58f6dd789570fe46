//! UID EXPUNGE of a set of UIDs (UIDPLUS), then which of them are still there.

use super::uid_set::uid_set;
use super::{ImapSession, command, timed};
use crate::NetError;

impl ImapSession {
    /// Permanently removes those of `uids` that are marked `\Deleted`, and no
    /// other message (never a bare EXPUNGE), then looks again and returns the
    /// UIDs that still exist: an OK alone does not prove removal.
    ///
    /// Needs UIDPLUS; without it fails with [`NetError::MissingCapability`]
    /// and sends nothing.
    pub async fn uid_expunge_many(&mut self, uids: &[u32]) -> Result<Vec<u32>, NetError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids)?;
        self.require_capability("UIDPLUS").await?;
        timed(self.limits, "removing messages", async {
            self.command(
                "UID EXPUNGE",
                &format!("UID EXPUNGE {set}"),
                command::ignore,
            )
            .await
        })
        .await?;
        self.uids_present(uids).await
    }
}
