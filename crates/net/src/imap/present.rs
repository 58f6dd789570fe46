//! UID FETCH (UID) of a set of UIDs: which of them still exist in the selected folder.

use std::collections::BTreeSet;

use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use super::{ImapSession, timed};
use crate::NetError;

impl ImapSession {
    /// Those of `uids` that exist in the selected folder now, ascending. A
    /// UID the server does not answer for is taken as gone; answers about
    /// UIDs not asked for are ignored.
    pub async fn uids_present(&mut self, uids: &[u32]) -> Result<Vec<u32>, NetError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids)?;
        let mut present = BTreeSet::new();
        timed(self.limits, "checking which messages exist", async {
            self.command("UID FETCH", &format!("UID FETCH {set} (UID)"), |response| {
                if let Some(items) = FetchItems::read(response, false).transpose()?
                    && let Some(uid) = items.uid
                    && uids.contains(&uid)
                {
                    present.insert(uid);
                }
                Ok(())
            })
            .await
        })
        .await?;
        Ok(present.into_iter().collect())
    }
}
