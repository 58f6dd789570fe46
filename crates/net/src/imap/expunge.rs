//! UID EXPUNGE of one UID (UIDPLUS), never a bare EXPUNGE that would remove other clients' \Deleted mail.

use super::{ImapSession, command, timed, uid};
use crate::NetError;

impl ImapSession {
    /// Permanently removes the message `uid` of the selected folder, if it is
    /// marked `\Deleted`; no other message is touched.
    ///
    /// Needs UIDPLUS (RFC 4315). Without it this fails with
    /// [`NetError::MissingCapability`] and sends nothing: there is no safe
    /// fallback, since a bare EXPUNGE also removes every message another
    /// client has marked `\Deleted`.
    pub async fn uid_expunge(&mut self, uid: u32) -> Result<(), NetError> {
        uid::check(uid)?;
        self.require_capability("UIDPLUS").await?;
        let line = format!("UID EXPUNGE {uid}");
        timed(self.limits, "removing a message", async {
            self.command("UID EXPUNGE", &line, command::ignore).await
        })
        .await?;
        Ok(())
    }
}
