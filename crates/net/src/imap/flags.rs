//! UID FETCH (UID FLAGS) of a set of UIDs: the flags each has now.

use std::collections::BTreeMap;

use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use super::{ImapSession, timed};
use crate::NetError;

impl ImapSession {
    /// The flags of those of `uids` that exist in the selected folder now;
    /// a UID missing from the map is gone. Answers about UIDs not asked
    /// for are ignored.
    pub async fn uid_flags_many(
        &mut self,
        uids: &[u32],
    ) -> Result<BTreeMap<u32, Vec<String>>, NetError> {
        if uids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let set = uid_set(uids)?;
        let mut flags = BTreeMap::new();
        timed(self.limits, "checking messages' flags", async {
            self.command(
                "UID FETCH",
                &format!("UID FETCH {set} (UID FLAGS)"),
                |response| {
                    if let Some(items) = FetchItems::read(response, false).transpose()?
                        && let (Some(uid), Some(f)) = (items.uid, items.flags)
                        && uids.contains(&uid)
                    {
                        flags.insert(uid, f);
                    }
                    Ok(())
                },
            )
            .await
        })
        .await?;
        Ok(flags)
    }
}
