//! EXAMINE: open a folder read-only and learn its UIDVALIDITY and size.

use super::{ImapSession, error_map, timed};
use crate::{NetError, mutf7, validate};

/// What EXAMINE tells about a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    /// UIDVALIDITY: UIDs are only meaningful together with it.
    pub uid_validity: u32,
    /// The UID the next message will get, if the server says.
    pub uid_next: Option<u32>,
    /// How many messages the folder holds.
    pub exists: u32,
}

impl ImapSession {
    /// Opens `folder` read-only (EXAMINE): nothing we do after this can
    /// change flags or messages in it.
    pub async fn examine(&mut self, folder: &str) -> Result<FolderStatus, NetError> {
        // Validate the name as given: encoding would hide a CR or LF in base64.
        validate::validate_argument("folder name", folder)?;
        let wire = mutf7::encode(folder);
        let limits = self.limits;
        let mailbox = timed(limits, "opening a folder", async {
            self.session
                .examine(&wire)
                .await
                .map_err(|e| error_map::imap_error("EXAMINE", limits, e))
        })
        .await?;
        let uid_validity = mailbox
            .uid_validity
            .ok_or_else(|| NetError::Protocol(format!("no UIDVALIDITY for folder {folder:?}")))?;
        Ok(FolderStatus {
            uid_validity,
            uid_next: mailbox.uid_next,
            exists: mailbox.exists,
        })
    }
}
