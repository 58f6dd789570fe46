//! UID FETCH 1:* of metadata only (UID, FLAGS, INTERNALDATE, RFC822.SIZE): planning without bodies.

use super::ImapSession;
use super::fetch_items::FetchItems;
use crate::NetError;

/// What the server says about one message, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidInfo {
    /// Its UID.
    pub uid: u32,
    /// Its flags as IMAP atoms (`\Seen`, `$Label1`, …).
    pub flags: Vec<String>,
    /// INTERNALDATE as seconds since the Unix epoch.
    pub internaldate: i64,
    /// RFC822.SIZE: the size of the message in bytes, as served.
    pub size: u32,
}

impl ImapSession {
    /// Lists every message of the selected folder by UID, in UID order, with
    /// its flags, INTERNALDATE and size. No body is downloaded and nothing
    /// is marked as read.
    pub async fn uid_list(&mut self) -> Result<Vec<UidInfo>, NetError> {
        let by_uid = self
            .uid_fetch_items(
                "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)",
                "listing messages",
                false,
                |_| true,
            )
            .await?;
        by_uid
            .into_iter()
            .map(|(uid, items)| {
                Ok(UidInfo {
                    uid,
                    flags: FetchItems::required(items.flags, "FLAGS", uid)?,
                    internaldate: FetchItems::required(items.internaldate, "INTERNALDATE", uid)?,
                    size: FetchItems::required(items.size, "RFC822.SIZE", uid)?,
                })
            })
            .collect()
    }
}
