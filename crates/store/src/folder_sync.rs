//! What the last complete sync saw of each folder (CONDSTORE servers), so
//! the next one skips folders in which nothing changed.

use rusqlite::{OptionalExtension as _, params};

use crate::{Store, StoreError};

/// One folder as the last complete sync saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderSync {
    /// Its UIDVALIDITY.
    pub uid_validity: u32,
    /// Its HIGHESTMODSEQ (RFC 7162).
    pub highest_modseq: u64,
    /// How many of its messages were not sealed.
    pub not_sealed: u64,
}

impl Store {
    /// What the last complete sync saw of `folder`, if it ran with CONDSTORE.
    pub fn folder_sync(
        &self,
        account: &str,
        folder: &str,
    ) -> Result<Option<FolderSync>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT uid_validity, highest_modseq, not_sealed FROM folder_sync \
                 WHERE account = ?1 AND folder = ?2",
                params![account, folder],
                |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(uid_validity, modseq, not_sealed)| {
            Some(FolderSync {
                uid_validity,
                highest_modseq: u64::try_from(modseq).ok()?,
                not_sealed: u64::try_from(not_sealed).ok()?,
            })
        }))
    }

    /// Records what a complete sync saw of `folder` (a modseq past SQLite's
    /// integers is not recorded: that folder is always listed).
    pub fn set_folder_sync(
        &self,
        account: &str,
        folder: &str,
        seen: &FolderSync,
    ) -> Result<(), StoreError> {
        let (Ok(modseq), Ok(not_sealed)) = (
            i64::try_from(seen.highest_modseq),
            i64::try_from(seen.not_sealed),
        ) else {
            return self.forget_folder_sync(account, Some(folder));
        };
        self.conn().execute(
            "INSERT INTO folder_sync (account, folder, uid_validity, highest_modseq, not_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, folder) DO UPDATE SET \
             uid_validity = excluded.uid_validity, highest_modseq = excluded.highest_modseq, \
             not_sealed = excluded.not_sealed",
            params![account, folder, seen.uid_validity, modseq, not_sealed],
        )?;
        Ok(())
    }

    /// Forgets what was seen of `folder` (every folder of the account when
    /// `None`): its next sync lists it in full.
    pub fn forget_folder_sync(
        &self,
        account: &str,
        folder: Option<&str>,
    ) -> Result<(), StoreError> {
        match folder {
            Some(folder) => self.conn().execute(
                "DELETE FROM folder_sync WHERE account = ?1 AND folder = ?2",
                params![account, folder],
            )?,
            None => self
                .conn()
                .execute("DELETE FROM folder_sync WHERE account = ?1", [account])?,
        };
        Ok(())
    }

    /// How many index rows (of any trust) name `folder` of `account`.
    pub fn index_count_in(&self, account: &str, folder: &str) -> Result<u64, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM messages WHERE account = ?1 AND folder = ?2",
            params![account, folder],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::MasterSecret;

    use super::*;

    #[test]
    fn a_folder_is_recorded_replaced_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterSecret::from_bytes(&mut [7; 32]).derive().unwrap();
        let store = Store::create(&dir.path().join("v.db"), key.database_key()).unwrap();
        assert_eq!(store.folder_sync("a", "INBOX").unwrap(), None);
        let seen = FolderSync {
            uid_validity: 7,
            highest_modseq: 41,
            not_sealed: 2,
        };
        store.set_folder_sync("a", "INBOX", &seen).unwrap();
        assert_eq!(store.folder_sync("a", "INBOX").unwrap(), Some(seen));
        let later = FolderSync {
            highest_modseq: 52,
            ..seen
        };
        store.set_folder_sync("a", "INBOX", &later).unwrap();
        assert_eq!(store.folder_sync("a", "INBOX").unwrap(), Some(later));
        // A modseq SQLite cannot hold is not kept.
        let huge = FolderSync {
            highest_modseq: u64::MAX,
            ..seen
        };
        store.set_folder_sync("a", "INBOX", &huge).unwrap();
        assert_eq!(store.folder_sync("a", "INBOX").unwrap(), None);
        store.set_folder_sync("a", "Sent", &seen).unwrap();
        store.forget_folder_sync("a", None).unwrap();
        assert_eq!(store.folder_sync("a", "Sent").unwrap(), None);
        assert_eq!(store.index_count_in("a", "Sent").unwrap(), 0);
    }
}
