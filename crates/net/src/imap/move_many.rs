//! UID MOVE of a set of UIDs (RFC 6851), and the bare EXPUNGE that only the purge of Coffer's own folder may send.

use super::uid_set::uid_set;
use super::{ImapSession, command, timed};
use crate::{NetError, mutf7, validate};

impl ImapSession {
    /// Whether the server advertises MOVE (RFC 6851): a message leaves its
    /// folder in one step, and only that message is expunged there.
    pub async fn has_move(&mut self) -> Result<bool, NetError> {
        self.has_cached_capability("MOVE").await
    }

    /// Moves the messages `uids` of the selected folder to `folder`
    /// (Unicode) in one command, then returns those of `uids` still in the
    /// selected folder: an OK alone does not prove they left. Needs MOVE;
    /// without it this fails with [`NetError::MissingCapability`] and sends
    /// nothing.
    pub async fn uid_move_many(
        &mut self,
        uids: &[u32],
        folder: &str,
    ) -> Result<Vec<u32>, NetError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids)?;
        validate::validate_argument("folder name", folder)?;
        let wire = validate::quoted("folder name", &mutf7::encode(folder))?;
        self.require_capability("MOVE").await?;
        let line = format!("UID MOVE {set} {wire}");
        timed(self.limits, "moving messages", async {
            self.command("UID MOVE", &line, command::ignore).await
        })
        .await?;
        self.uids_present(uids).await
    }

    /// A bare `EXPUNGE`: removes EVERY message marked `\Deleted` in the
    /// selected folder, whoever marked it. Only for a folder whose every
    /// `\Deleted` message was proven, just before, to be one the caller may
    /// remove (the architecture test allows one caller: the purge of
    /// Coffer's own folder on servers without UIDPLUS).
    pub async fn bare_expunge(&mut self) -> Result<(), NetError> {
        timed(self.limits, "removing messages", async {
            self.command("EXPUNGE", "EXPUNGE", command::ignore).await
        })
        .await?;
        Ok(())
    }
}
