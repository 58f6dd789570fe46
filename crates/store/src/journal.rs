//! The sealing journal: one durable row per original, committed before each step of the safe path.

use coffer_core::{SealId, hex, parse_hex32};
use rusqlite::{Row, params};

use crate::store::{Store, StoreError};

/// Where a step of the safe path stands for one original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalState {
    /// Planned (and, once `seal_id` is set, about to be appended).
    Planned,
    /// A sealed copy was appended; not yet verified.
    Appended,
    /// The copy was fetched back and verified; the original may be removed.
    Verified,
    /// The original is gone: the work on it is done.
    Deleted,
    /// Verified copy made, original kept (the server cannot remove it safely).
    Kept,
    /// Given up: the original vanished or its folder changed.
    Abandoned,
}

impl JournalState {
    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Appended => "appended",
            Self::Verified => "verified",
            Self::Deleted => "deleted",
            Self::Kept => "kept",
            Self::Abandoned => "abandoned",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "appended" => Self::Appended,
            "verified" => Self::Verified,
            "deleted" => Self::Deleted,
            "kept" => Self::Kept,
            "abandoned" => Self::Abandoned,
            // The CHECK constraint allows nothing else; 'planned' is the
            // state that promises least.
            _ => Self::Planned,
        }
    }
}

/// One journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// The account's name.
    pub account: String,
    /// The original's folder.
    pub folder: String,
    /// The folder's UIDVALIDITY when planned.
    pub uid_validity: u32,
    /// The original's UID.
    pub uid: u32,
    /// Where the work stands.
    pub state: JournalState,
    /// The seal id, once the original was fetched (a hex column; '' is none).
    pub seal_id: Option<SealId>,
    /// SHA-256 of the original, once fetched (a hex column; '' is none).
    pub original_sha256: Option<[u8; 32]>,
    /// The original's size in bytes.
    pub original_size: u64,
    /// UIDVALIDITY the sealed copy was appended under (0: not appended).
    pub appended_uid_validity: u32,
    /// The sealed copy's UID (0: not appended or unknown).
    pub appended_uid: u32,
    /// Why the row stopped short of `deleted`.
    pub note: String,
}

impl JournalRow {
    /// A fresh `planned` row.
    pub fn planned(account: &str, folder: &str, uid_validity: u32, uid: u32, size: u64) -> Self {
        Self {
            account: account.to_owned(),
            folder: folder.to_owned(),
            uid_validity,
            uid,
            state: JournalState::Planned,
            seal_id: None,
            original_sha256: None,
            original_size: size,
            appended_uid_validity: 0,
            appended_uid: 0,
            note: String::new(),
        }
    }
}

const COLUMNS: &str = "account, folder, uid_validity, uid, state, seal_id, original_sha256, \
                       original_size, appended_uid_validity, appended_uid, note";

fn read_row(row: &Row<'_>) -> rusqlite::Result<JournalRow> {
    Ok(JournalRow {
        account: row.get(0)?,
        folder: row.get(1)?,
        uid_validity: row.get(2)?,
        uid: row.get(3)?,
        state: JournalState::parse(&row.get::<_, String>(4)?),
        seal_id: SealId::parse_hex(&row.get::<_, String>(5)?),
        original_sha256: parse_hex32(&row.get::<_, String>(6)?),
        original_size: row.get::<_, i64>(7)?.try_into().unwrap_or(0),
        appended_uid_validity: row.get(8)?,
        appended_uid: row.get(9)?,
        note: row.get(10)?,
    })
}

impl Store {
    /// Writes `rows` (insert or replace by key) in one transaction and
    /// commits it: when this returns, the rows are on disk
    /// (`synchronous = FULL`). Batching many rows into one call makes one
    /// fsync instead of many.
    pub fn journal_write(&self, rows: &[JournalRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self.conn().unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(&format!(
                "INSERT INTO seal_journal ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (account, folder, uid_validity, uid) DO UPDATE SET
                    state = excluded.state, seal_id = excluded.seal_id,
                    original_sha256 = excluded.original_sha256,
                    original_size = excluded.original_size,
                    appended_uid_validity = excluded.appended_uid_validity,
                    appended_uid = excluded.appended_uid, note = excluded.note,
                    updated_at = unixepoch()"
            ))?;
            for r in rows {
                stmt.execute(params![
                    r.account,
                    r.folder,
                    r.uid_validity,
                    r.uid,
                    r.state.as_str(),
                    r.seal_id.map(|id| id.to_string()).unwrap_or_default(),
                    r.original_sha256.map(|d| hex(&d)).unwrap_or_default(),
                    i64::try_from(r.original_size).unwrap_or(i64::MAX),
                    r.appended_uid_validity,
                    r.appended_uid,
                    r.note,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every journal row of one folder of an account (any UIDVALIDITY), by UID.
    pub fn journal_rows(&self, account: &str, folder: &str) -> Result<Vec<JournalRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM seal_journal WHERE account = ?1 AND folder = ?2 \
             ORDER BY uid_validity, uid"
        ))?;
        let rows = stmt.query_map([account, folder], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every journal row of an account in `state`, in any folder.
    pub fn journal_rows_in_state(
        &self,
        account: &str,
        state: JournalState,
    ) -> Result<Vec<JournalRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM seal_journal WHERE account = ?1 AND state = ?2 \
             ORDER BY folder, uid_validity, uid"
        ))?;
        let rows = stmt.query_map([account, state.as_str()], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many journal rows an account has in each state (for status displays and tests).
    pub fn journal_counts(&self, account: &str) -> Result<Vec<(JournalState, u64)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT state, count(*) FROM seal_journal WHERE account = ?1 GROUP BY state ORDER BY state",
        )?;
        let rows = stmt.query_map([account], |row| {
            Ok((
                JournalState::parse(&row.get::<_, String>(0)?),
                row.get::<_, i64>(1)?.try_into().unwrap_or(0),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::MasterSecret;
    use rusqlite::Connection;

    use super::*;
    use crate::migrations;

    fn keys() -> coffer_core::VaultKeys {
        MasterSecret::from_bytes(&mut [9; 32]).derive().unwrap()
    }

    #[test]
    fn rows_are_upserted_by_key_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("vault.db"), keys().database_key()).unwrap();
        let mut a = JournalRow::planned("acct", "Ünïcode/Sub", 7, 3, 120);
        let b = JournalRow::planned("acct", "Ünïcode/Sub", 7, 4, 5);
        store.journal_write(&[a.clone(), b.clone()]).unwrap();
        a.state = JournalState::Appended;
        a.seal_id = Some(SealId::from_bytes([0xab; 32]));
        a.original_sha256 = Some([7; 32]);
        a.appended_uid_validity = 7;
        a.appended_uid = 10;
        store.journal_write(std::slice::from_ref(&a)).unwrap();
        assert_eq!(
            store.journal_rows("acct", "Ünïcode/Sub").unwrap(),
            vec![a.clone(), b]
        );
        assert!(
            store
                .journal_rows("other", "Ünïcode/Sub")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.journal_counts("acct").unwrap(),
            vec![(JournalState::Appended, 1), (JournalState::Planned, 1)]
        );
        assert_eq!(
            store
                .journal_rows_in_state("acct", JournalState::Appended)
                .unwrap(),
            vec![a]
        );
        assert!(
            store
                .journal_rows_in_state("other", JournalState::Appended)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_schema_2_database_gains_the_journal_and_keeps_its_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let keys = keys();
        {
            let store = Store::create(&path, keys.database_key()).unwrap();
            drop(store);
            // Rebuild the fixture as a schema-2 build left it.
            std::fs::remove_file(&path).unwrap();
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.path().join(format!("vault.db{suffix}")));
            }
            let mut conn = Connection::open(&path).unwrap();
            crate::store::key_connection_for_tests(&conn, keys.database_key()).unwrap();
            migrations::migrate_to(&mut conn, 2).unwrap();
            conn.execute(
                "INSERT INTO accounts (name, imap_host, username, password) VALUES ('a', 'h', 'u', 'p')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path, keys.database_key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
        assert_eq!(store.accounts().unwrap().len(), 1);
        store
            .journal_write(&[JournalRow::planned("a", "INBOX", 1, 1, 1)])
            .unwrap();
        assert_eq!(store.journal_rows("a", "INBOX").unwrap().len(), 1);
    }
}
