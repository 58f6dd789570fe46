//! SELECT: open a folder read-write, for appending to it and removing originals from it.

use super::{FolderStatus, ImapSession, error_map, timed};
use crate::{NetError, mutf7, validate};

impl ImapSession {
    /// Opens `folder` read-write (SELECT) and returns its UIDVALIDITY,
    /// UIDNEXT and message count. Use [`ImapSession::examine`] when nothing
    /// will be changed.
    pub async fn select(&mut self, folder: &str) -> Result<FolderStatus, NetError> {
        self.open_folder(folder, false).await
    }

    /// SELECT or, when `read_only`, EXAMINE.
    pub(super) async fn open_folder(
        &mut self,
        folder: &str,
        read_only: bool,
    ) -> Result<FolderStatus, NetError> {
        // Validate the name as given: encoding would hide a CR or LF in base64.
        validate::validate_argument("folder name", folder)?;
        let wire = mutf7::encode(folder);
        let limits = self.limits;
        let (command, action) = if read_only {
            ("EXAMINE", "opening a folder")
        } else {
            ("SELECT", "opening a folder for changes")
        };
        let mailbox = timed(limits, action, async {
            let opened = if read_only {
                self.session.examine(&wire).await
            } else {
                self.session.select(&wire).await
            };
            opened.map_err(|e| error_map::imap_error(command, limits, e))
        })
        .await?;
        let uid_validity = mailbox
            .uid_validity
            .ok_or_else(|| NetError::Protocol(format!("no UIDVALIDITY for folder {folder:?}")))?;
        Ok(FolderStatus {
            uid_validity,
            uid_next: mailbox.uid_next,
            exists: mailbox.exists,
            highest_modseq: mailbox.highest_modseq,
        })
    }
}
