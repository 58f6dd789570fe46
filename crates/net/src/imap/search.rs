//! UID SEARCH HEADER: find messages by one header's value (how a sealed copy is found without APPENDUID).

use imap_proto::{MailboxDatum, Response};

use super::{ImapSession, timed};
use crate::{NetError, validate};

impl ImapSession {
    /// The UIDs, ascending, of the messages in the selected folder whose
    /// header `name` contains `value` (a case-insensitive substring match,
    /// as IMAP defines it).
    ///
    /// `name` must be a header field name (printable ASCII, no colon or
    /// space); `value` must be printable ASCII, since a plain IMAP quoted
    /// string cannot carry other text.
    pub async fn uid_search_header(
        &mut self,
        name: &str,
        value: &str,
    ) -> Result<Vec<u32>, NetError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(NetError::InvalidArgument {
                what: "header name",
                reason: "must be printable ASCII without spaces or colons",
            });
        }
        validate::validate_argument("header value", value)?;
        if !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(NetError::InvalidArgument {
                what: "header value",
                reason: "must be printable ASCII",
            });
        }
        let line = format!(
            "UID SEARCH HEADER {} {}",
            validate::quoted("header name", name)?,
            validate::quoted("header value", value)?
        );
        let mut uids = Vec::new();
        timed(self.limits, "searching messages", async {
            self.command("UID SEARCH", &line, |response| {
                if let Response::MailboxData(MailboxDatum::Search(found)) = response {
                    uids.extend_from_slice(found);
                }
                Ok(())
            })
            .await
        })
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }
}
