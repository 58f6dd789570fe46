//! Byte ranges of many messages at once (`BODY.PEEK[]<offset.length>`), for
//! the keyless audit's structure check: one FETCH reads the same ranges of
//! every message it names, and the server cuts each at the message's end.

use super::ImapSession;
use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use crate::NetError;

/// What the server returned of one message for a range FETCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRanges {
    /// Its UID.
    pub uid: u32,
    /// RFC822.SIZE as the server gave it with these ranges.
    pub size: u64,
    /// The bytes returned for each range, by the range's offset, in the
    /// order received. A range the server did not answer is missing.
    pub pieces: Vec<(u64, Vec<u8>)>,
}

impl MessageRanges {
    /// The bytes returned for the range starting at `offset`, if any.
    pub fn piece(&self, offset: u64) -> Option<&[u8]> {
        self.pieces
            .iter()
            .find(|(o, _)| *o == offset)
            .map(|(_, bytes)| bytes.as_slice())
    }
}

impl ImapSession {
    /// The byte `ranges` (offset, length) of each of `uids`, with
    /// `BODY.PEEK` (nothing is marked read), in one UID FETCH. The caller
    /// keeps the total asked for under the response limit. Messages that
    /// vanish meanwhile are missing from the result.
    pub async fn fetch_ranges(
        &mut self,
        uids: &[u32],
        ranges: &[(u64, u64)],
    ) -> Result<Vec<MessageRanges>, NetError> {
        if uids.is_empty() || ranges.is_empty() {
            return Ok(Vec::new());
        }
        let mut line = format!("UID FETCH {} (UID RFC822.SIZE", uid_set(uids)?);
        for &(offset, len) in ranges {
            // IMAP4rev1 partial fetches take 32-bit numbers.
            let (Ok(offset), Ok(len)) = (u32::try_from(offset), u32::try_from(len)) else {
                return Err(invalid(
                    "past what an IMAP partial fetch can address (4 GiB)",
                ));
            };
            if len == 0 {
                return Err(invalid("empty"));
            }
            line.push_str(&format!(" BODY.PEEK[]<{offset}.{len}>"));
        }
        line.push(')');
        let wanted: std::collections::BTreeSet<u32> = uids.iter().copied().collect();
        let by_uid = self
            .uid_fetch_items(&line, "fetching byte ranges of messages", true, |uid| {
                wanted.contains(&uid)
            })
            .await?;
        by_uid
            .into_iter()
            .map(|(uid, items)| {
                Ok(MessageRanges {
                    uid,
                    size: u64::from(FetchItems::required(items.size, "RFC822.SIZE", uid)?),
                    pieces: items
                        .pieces
                        .into_iter()
                        .map(|(origin, bytes)| (u64::from(origin), bytes))
                        .collect(),
                })
            })
            .collect()
    }
}

fn invalid(reason: &'static str) -> NetError {
    NetError::InvalidArgument {
        what: "byte range",
        reason,
    }
}
