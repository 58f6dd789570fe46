//! CAPABILITY: what the server says it can do.

use super::{ImapSession, error_map, timed};
use crate::NetError;

impl ImapSession {
    /// The server's capabilities after login, upper-cased and sorted
    /// (e.g. `IMAP4REV1`, `UIDPLUS`, `AUTH=PLAIN`).
    pub async fn capabilities(&mut self) -> Result<Vec<String>, NetError> {
        let limits = self.limits;
        let caps = timed(limits, "reading capabilities", async {
            self.session
                .capabilities()
                .await
                .map_err(|e| error_map::imap_error("CAPABILITY", limits, e))
        })
        .await?;
        let mut names: Vec<String> = caps
            .iter()
            .map(|c| match c {
                async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
                async_imap::types::Capability::Auth(m) => {
                    format!("AUTH={}", m.to_ascii_uppercase())
                }
                async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}
