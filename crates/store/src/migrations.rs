//! The numbered schema migrations, applied in order and recorded in `PRAGMA user_version`.
//!
//! Migration `n` (1-based) is `MIGRATIONS[n - 1]`; a database at
//! `user_version = n` has had migrations 1..=n applied. Migrations are only
//! ever appended: an existing one never changes, because databases in the
//! field have already run it. Every table is `STRICT` and every column
//! `NOT NULL` with a `DEFAULT`, so a later migration can add a column without
//! rewriting old rows and no code ever has to handle a NULL.

use rusqlite::Connection;

/// Migration 1: vault metadata and settings.
const M1_VAULT_META_AND_SETTINGS: &str = "
CREATE TABLE vault_meta (
    -- One row only: the CHECK makes a second row impossible.
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    created_at     INTEGER NOT NULL DEFAULT (unixepoch()),
    -- The vault format this database was created for (docs/FORMAT.md).
    format_version INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO vault_meta (id) VALUES (1);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL DEFAULT ''
) STRICT;
";

/// Migration 2: the IMAP/SMTP accounts a vault seals (issue 4 fills them).
/// The password lives here because this whole file is encrypted by
/// SQLCipher; it is never written anywhere else.
const M2_ACCOUNTS: &str = "
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    imap_host  TEXT NOT NULL,
    imap_port  INTEGER NOT NULL DEFAULT 993 CHECK (imap_port BETWEEN 1 AND 65535),
    username   TEXT NOT NULL,
    password   TEXT NOT NULL DEFAULT '',
    -- Mirrors coffer_net::Security; stored as text so the file reads plainly.
    security   TEXT NOT NULL DEFAULT 'tls'
               CHECK (security IN ('tls', 'starttls', 'insecure_loopback')),
    -- An extra CA certificate to trust (PEM path), '' for the system roots.
    ca_file    TEXT NOT NULL DEFAULT '',
    -- '' when the account only seals and never sends.
    smtp_host  TEXT NOT NULL DEFAULT '',
    smtp_port  INTEGER NOT NULL DEFAULT 465 CHECK (smtp_port BETWEEN 1 AND 65535),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
";

/// Migration 3: the sealing journal (issue 4). One row per original message
/// the safe path works on, keyed by where the original lives; the row is
/// committed before every IMAP step, so a re-run after a crash knows what a
/// previous run may have left on the server (an appended copy, a `\Deleted`
/// flag) and converges without duplicates.
const M3_SEAL_JOURNAL: &str = "
CREATE TABLE seal_journal (
    account         TEXT NOT NULL,
    folder          TEXT NOT NULL,
    uid_validity    INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
    -- planned -> appended -> verified -> deleted; 'kept' when the server
    -- cannot remove originals safely (no UIDPLUS), 'abandoned' when the
    -- original vanished or the folder changed under us.
    state           TEXT NOT NULL DEFAULT 'planned'
                    CHECK (state IN ('planned', 'appended', 'verified', 'deleted', 'kept', 'abandoned')),
    -- 64 hex digits once the original was fetched, '' before.
    seal_id         TEXT NOT NULL DEFAULT '',
    original_sha256 TEXT NOT NULL DEFAULT '',
    original_size   INTEGER NOT NULL DEFAULT 0,
    -- Where the sealed copy went (0 = not appended yet).
    appended_uid_validity INTEGER NOT NULL DEFAULT 0,
    appended_uid    INTEGER NOT NULL DEFAULT 0,
    -- Why a row stopped short of 'deleted', for the user.
    note            TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (account, folder, uid_validity, uid)
) STRICT;
CREATE INDEX seal_journal_by_copy
    ON seal_journal (account, folder, appended_uid_validity, appended_uid);
";

/// Every migration, in order.
pub const MIGRATIONS: &[&str] = &[M1_VAULT_META_AND_SETTINGS, M2_ACCOUNTS, M3_SEAL_JOURNAL];

/// The schema version this build creates and understands.
// A handful of migrations: the cast cannot truncate.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// What can go wrong while migrating.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database was written by a newer Coffer.
    #[error(
        "the database schema is version {found}, newer than this build understands ({LATEST}); upgrade Coffer"
    )]
    TooNew {
        /// The database's `user_version`.
        found: u32,
    },
    /// A migration's SQL failed; the transaction was rolled back.
    #[error("schema migration {version} failed")]
    Failed {
        /// The 1-based number of the migration that failed.
        version: u32,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// Reading `user_version` failed.
    #[error("could not read the schema version")]
    ReadVersion(#[source] rusqlite::Error),
}

impl MigrationError {
    /// The SQLite error underneath, if any.
    pub(crate) fn sqlite(&self) -> Option<&rusqlite::Error> {
        match self {
            Self::TooNew { .. } => None,
            Self::Failed { source, .. } | Self::ReadVersion(source) => Some(source),
        }
    }
}

/// The schema version of `conn` (`PRAGMA user_version`).
pub(crate) fn version(conn: &Connection) -> Result<u32, MigrationError> {
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(MigrationError::ReadVersion)?;
    // A negative user_version was never written by us; treat it as too new
    // rather than guessing which migrations it has.
    u32::try_from(v).map_err(|_| MigrationError::TooNew { found: u32::MAX })
}

/// Brings `conn` to [`LATEST`]; returns the version it was at.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, MigrationError> {
    migrate_to(conn, LATEST)
}

/// Applies migrations up to `target` (tests build old-version fixtures with it).
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, MigrationError> {
    let found = version(conn)?;
    if found > LATEST {
        return Err(MigrationError::TooNew { found });
    }
    for (number, sql) in (1..=target).zip(MIGRATIONS).skip(found as usize) {
        apply(conn, number, sql).map_err(|source| MigrationError::Failed {
            version: number,
            source,
        })?;
        tracing::info!(version = number, "applied schema migration");
    }
    Ok(found)
}

/// One migration and its version bump in one transaction: a crash leaves
/// the database at the old version or the new one, never between.
fn apply(conn: &mut Connection, number: u32, sql: &str) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(sql)?;
    tx.pragma_update(None, "user_version", number)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_strict() {
        for sql in MIGRATIONS {
            let creates = sql.matches("CREATE TABLE").count();
            assert_eq!(creates, sql.matches(") STRICT;").count(), "{sql}");
        }
    }

    #[test]
    fn a_plain_database_migrates_from_empty_to_latest() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        assert_eq!(version(&conn).unwrap(), LATEST);
        // Running again is a no-op.
        assert_eq!(migrate(&mut conn).unwrap(), LATEST);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(matches!(err, MigrationError::TooNew { found } if found == LATEST + 1));
        assert!(err.to_string().contains("upgrade Coffer"));
    }
}
