//! UID MOVE of one message to another folder (RFC 6851).

use super::{ImapSession, command, timed, uid};
use crate::{NetError, mutf7, validate};

impl ImapSession {
    /// Moves the message `uid` of the selected folder to `folder` (Unicode).
    /// Needs MOVE; without it this fails with [`NetError::MissingCapability`]
    /// and sends nothing (a COPY and an expunge are not one step, and the
    /// expunge needs care of its own).
    pub async fn uid_move(&mut self, uid: u32, folder: &str) -> Result<(), NetError> {
        uid::check(uid)?;
        validate::validate_argument("folder name", folder)?;
        let wire = validate::quoted("folder name", &mutf7::encode(folder))?;
        self.require_capability("MOVE").await?;
        let line = format!("UID MOVE {uid} {wire}");
        timed(self.limits, "moving a message", async {
            self.command("UID MOVE", &line, command::ignore).await
        })
        .await?;
        Ok(())
    }
}
