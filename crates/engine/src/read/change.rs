//! Changes made in Coffer that reach the sealed copy on the server — flags,
//! moves, deletion — and the index following what the server then reports.

use anyhow::Context as _;
use coffer_core::seal::outer::SEAL_ID_HEADER;
use coffer_net::{ImapSession, SpecialUse};
use coffer_store::{CopyPlace, Trust};

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
        let (_, place) = self.genuine_place(id)?;
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
        select_place(&mut session, &place).await?;
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

impl Vault {
    /// Moves message `id`'s sealed copy to `folder` on the server, and the
    /// index row with it (the copy is found in `folder` by its seal id).
    pub async fn move_message(&self, id: i64, folder: &str) -> anyhow::Result<CopyPlace> {
        let (m, place) = self.genuine_place(id)?;
        let conn = self.connection(Some(&place.account))?;
        let mut session = conn.connect().await?;
        let listed = session.list_folders().await.context("listing folders")?;
        if !listed.iter().any(|f| f.name == folder && f.selectable) {
            return Err(refusal(
                Code::BadRequest,
                format!("folder {folder:?} does not exist on the server (or cannot hold messages)"),
            ));
        }
        if folder == place.folder {
            return Ok(place);
        }
        select_place(&mut session, &place).await?;
        session
            .uid_move(place.uid, folder)
            .await
            .context("moving the message on the server")?;
        let status = session
            .examine(folder)
            .await
            .with_context(|| format!("opening folder {folder:?}"))?;
        let known: Vec<u32> = self
            .store()
            .index_rows_of(&place.account, folder)?
            .into_iter()
            .filter(|r| r.uid_validity == status.uid_validity)
            .map(|r| r.uid)
            .collect();
        let found = session
            .uid_search_header(SEAL_ID_HEADER, &m.entry.seal_id)
            .await
            .context("finding the moved message")?;
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after moving failed");
        }
        match found.into_iter().filter(|u| !known.contains(u)).max() {
            Some(uid) => {
                let new = CopyPlace {
                    account: place.account,
                    folder: folder.to_owned(),
                    uid_validity: status.uid_validity,
                    uid,
                };
                self.store().index_move(id, &new)?;
                Ok(new)
            }
            None => {
                // Moved, but not found where it went: sync will find it.
                self.store().index_remove(&[id])?;
                Err(refusal(
                    Code::FolderChanged,
                    "the message was moved, but could not be found in its new folder; run `coffer sync`",
                ))
            }
        }
    }

    /// Deletes message `id`: its sealed copy goes to the special-use Trash
    /// folder; with `now` (or when it is in Trash already) it is removed at
    /// once, by `UID EXPUNGE` of its own UID. Returns where it went (`None`:
    /// removed).
    pub async fn delete_message(&self, id: i64, now: bool) -> anyhow::Result<Option<CopyPlace>> {
        let (_, place) = self.genuine_place(id)?;
        let conn = self.connection(Some(&place.account))?;
        let mut session = conn.connect().await?;
        let trash = session
            .list_folders()
            .await
            .context("listing folders")?
            .into_iter()
            .find(|f| f.special_use == Some(SpecialUse::Trash))
            .map(|f| f.name);
        if !now && trash.as_deref() != Some(place.folder.as_str()) {
            let trash = trash.ok_or_else(|| {
                refusal(
                    Code::CapabilityMissing,
                    "the server names no Trash folder (special-use \\Trash); use --now to remove the message at once",
                )
            })?;
            if let Err(error) = session.logout().await {
                tracing::debug!(%error, "logout before moving to Trash failed");
            }
            return self.move_message(id, &trash).await.map(Some);
        }
        if let Some(why) = self.expunge_refusal(&place.account)? {
            return Err(refusal(
                Code::CapabilityMissing,
                format!(
                    "expunging is off for account {:?}, {why}; nothing was removed",
                    place.account
                ),
            ));
        }
        select_place(&mut session, &place).await?;
        // The user's chosen sealed copy, never a plaintext original: mark it
        // and remove exactly its UID (UIDPLUS), leaving other clients'
        // \Deleted mail alone.
        if !session.uid_store_deleted(place.uid).await? {
            self.store().index_remove(&[id])?;
            return Ok(None);
        }
        session
            .uid_expunge(place.uid)
            .await
            .context("removing the message on the server")?;
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after deleting failed");
        }
        self.store().index_remove(&[id])?;
        Ok(None)
    }

    /// The row `id` and where its copy is, refusing a row that is not a
    /// genuine seal of this vault.
    fn genuine_place(&self, id: i64) -> anyhow::Result<(coffer_store::Indexed, CopyPlace)> {
        let m = self.indexed(id)?;
        if m.entry.trust != Some(Trust::Genuine) {
            return Err(refusal(
                Code::BadRequest,
                format!("message {id} is not a genuine seal of this vault"),
            ));
        }
        let place = m
            .entry
            .place
            .clone()
            .context("an index row without a place")?;
        Ok((m, place))
    }
}

/// Selects (read-write) the folder of `place`, refusing when its
/// UIDVALIDITY is no longer the one indexed.
async fn select_place(session: &mut ImapSession, place: &CopyPlace) -> anyhow::Result<()> {
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
    Ok(())
}
