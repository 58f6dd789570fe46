//! Vault metadata and key/value settings stored in the database.

use rusqlite::OptionalExtension as _;

use crate::store::{Store, StoreError};

/// What the database records about the vault itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultMeta {
    /// When the database was created (Unix seconds, UTC).
    pub created_at: i64,
    /// The vault format version the database was created for.
    pub format_version: i64,
    /// The schema version (number of migrations applied).
    pub schema_version: u32,
}

impl Store {
    /// The vault metadata row.
    pub fn meta(&self) -> Result<VaultMeta, StoreError> {
        let (created_at, format_version) = self.conn().query_row(
            "SELECT created_at, format_version FROM vault_meta WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(VaultMeta {
            created_at,
            format_version,
            schema_version: self.schema_version()?,
        })
    }

    /// A setting's value, or `None` when it was never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Sets a setting, replacing any previous value.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Removes a setting; returns whether it was set.
    pub fn remove_setting(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM settings WHERE key = ?1", [key])?
            > 0)
    }
}
