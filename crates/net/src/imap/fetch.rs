//! UID FETCH of whole messages with BODY.PEEK[] (never sets \Seen).

use futures::TryStreamExt as _;

use super::{ImapSession, error_map, timed};
use crate::NetError;

/// A message fetched whole from the open folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// Its UID.
    pub uid: u32,
    /// Its flags as IMAP atoms (`\Seen`, `$Label1`, …).
    pub flags: Vec<String>,
    /// INTERNALDATE as seconds since the Unix epoch.
    pub internaldate: i64,
    /// The exact bytes of the message.
    pub body: Vec<u8>,
}

fn flag_name(flag: &async_imap::types::Flag<'_>) -> String {
    use async_imap::types::Flag;
    match flag {
        Flag::Seen => "\\Seen".to_owned(),
        Flag::Answered => "\\Answered".to_owned(),
        Flag::Flagged => "\\Flagged".to_owned(),
        Flag::Deleted => "\\Deleted".to_owned(),
        Flag::Draft => "\\Draft".to_owned(),
        Flag::Recent => "\\Recent".to_owned(),
        Flag::MayCreate => "\\*".to_owned(),
        Flag::Custom(c) => c.to_string(),
    }
}

impl ImapSession {
    /// Fetches every message of the open folder, whole, without marking any
    /// as read. Responses are bounded by [`crate::Limits::max_response_bytes`].
    pub async fn fetch_all(&mut self) -> Result<Vec<FetchedMessage>, NetError> {
        let limits = self.limits;
        let fetches = timed(limits, "fetching messages", async {
            let stream = self
                .session
                .uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                .await
                .map_err(|e| error_map::imap_error("UID FETCH", limits, e))?;
            stream
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| error_map::imap_error("UID FETCH", limits, e))
        })
        .await?;
        let mut out = Vec::with_capacity(fetches.len());
        for f in &fetches {
            let uid = f
                .uid
                .ok_or_else(|| NetError::Protocol("FETCH response without UID".into()))?;
            let internaldate = f
                .internal_date()
                .ok_or_else(|| NetError::Protocol(format!("no INTERNALDATE for UID {uid}")))?
                .timestamp();
            let body = f
                .body()
                .ok_or_else(|| NetError::Protocol(format!("no body for UID {uid}")))?
                .to_vec();
            out.push(FetchedMessage {
                uid,
                flags: f.flags().map(|fl| flag_name(&fl)).collect(),
                internaldate,
                body,
            });
        }
        out.sort_by_key(|m| m.uid);
        Ok(out)
    }
}
