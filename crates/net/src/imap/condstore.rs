//! CONDSTORE (RFC 7162): a folder's HIGHESTMODSEQ tells whether anything in
//! it changed since a client last looked.

use super::{ImapSession, command, timed};
use crate::NetError;

impl ImapSession {
    /// Turns CONDSTORE on for this session (`ENABLE CONDSTORE`, RFC 5161)
    /// when the server has CONDSTORE and ENABLE, so that every EXAMINE and
    /// SELECT reports the folder's HIGHESTMODSEQ. Returns whether it is on.
    pub async fn enable_condstore(&mut self) -> Result<bool, NetError> {
        if !(self.has_cached_capability("CONDSTORE").await?
            && self.has_cached_capability("ENABLE").await?)
        {
            return Ok(false);
        }
        timed(self.limits, "enabling CONDSTORE", async {
            self.command("ENABLE", "ENABLE CONDSTORE", command::ignore)
                .await
        })
        .await?;
        Ok(true)
    }
}
