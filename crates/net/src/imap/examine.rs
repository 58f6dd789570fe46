//! EXAMINE: open a folder read-only and learn its UIDVALIDITY and size.

use super::ImapSession;
use crate::NetError;

/// What EXAMINE or SELECT tells about a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    /// UIDVALIDITY: UIDs are only meaningful together with it.
    pub uid_validity: u32,
    /// The UID the next message will get, if the server says.
    pub uid_next: Option<u32>,
    /// How many messages the folder holds.
    pub exists: u32,
    /// HIGHESTMODSEQ (RFC 7162), when the server reports it (CONDSTORE,
    /// see [`ImapSession::enable_condstore`]): it grows with every change
    /// in the folder.
    pub highest_modseq: Option<u64>,
}

impl ImapSession {
    /// Opens `folder` read-only (EXAMINE): nothing we do after this can
    /// change flags or messages in it.
    pub async fn examine(&mut self, folder: &str) -> Result<FolderStatus, NetError> {
        self.open_folder(folder, true).await
    }
}
