//! Changes made in Coffer that reach the sealed copy on the server: flags
//! (read, flagged) for now; the index follows what the server then reports.

use anyhow::Context as _;
use coffer_store::Trust;

use crate::{Code, Vault, refusal};

/// A flag change asked for by `coffer mark` or the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Set `\Seen`.
    Read,
    /// Clear `\Seen`.
    Unread,
    /// Set `\Flagged`.
    Flag,
    /// Clear `\Flagged`.
    Unflag,
}

impl Vault {
    /// Changes the flags of message `id`'s sealed copy on the server, then
    /// records the flags the server reports. Returns them.
    pub async fn mark(&self, id: i64, marks: &[Mark]) -> anyhow::Result<Vec<String>> {
        let m = self.indexed(id)?;
        if m.entry.trust != Some(Trust::Genuine) {
            return Err(refusal(
                Code::BadRequest,
                format!("message {id} is not a genuine seal of this vault"),
            ));
        }
        let place = m.entry.place.context("an index row without a place")?;
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for mark in marks {
            let (flag, set) = match mark {
                Mark::Read => ("\\Seen", true),
                Mark::Unread => ("\\Seen", false),
                Mark::Flag => ("\\Flagged", true),
                Mark::Unflag => ("\\Flagged", false),
            };
            if set { &mut add } else { &mut remove }.push(flag.to_owned());
        }
        let conn = self.connection(Some(&place.account))?;
        let mut session = conn.connect().await?;
        let status = session
            .select(&place.folder)
            .await
            .with_context(|| format!("opening folder {:?}", place.folder))?;
        if status.uid_validity != place.uid_validity {
            return Err(refusal(
                Code::FolderChanged,
                format!(
                    "folder {:?} changed on the server since it was indexed; run `coffer sync`",
                    place.folder
                ),
            ));
        }
        let flags = session
            .uid_change_flags(place.uid, &add, &remove)
            .await
            .context("changing flags on the server")?
            .ok_or_else(|| {
                refusal(
                    Code::FolderChanged,
                    "the sealed message is no longer on the server; run `coffer sync`",
                )
            })?;
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after marking failed");
        }
        self.store()
            .index_set_flags(id, &flags)
            .context("recording the flags")?;
        Ok(flags)
    }
}
