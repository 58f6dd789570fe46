//! Opening the SQLCipher database: keying, checking the key, pragmas, migrations.

use std::path::{Path, PathBuf};

use coffer_core::{DatabaseKey, ExposeSecret as _};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use secrecy::SecretString;

use crate::migrations::{self, MigrationError};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLCipher could not decrypt a page: the key is not this database's, or
    /// the file was damaged. SQLCipher cannot tell the two apart (each page
    /// is authenticated with a MAC under the key), and neither can we.
    #[error(
        "the database cannot be decrypted: wrong key or corrupted file (restore it from a backup, or recover into a new vault directory with the recovery key)"
    )]
    WrongKeyOrCorrupt,
    /// `open` found no database file.
    #[error("there is no database at {0}")]
    Missing(PathBuf),
    /// `create` found a file already there.
    #[error("a database already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// Looking at the path failed (permissions, a non-directory parent…).
    #[error("cannot access {path}")]
    Access {
        /// The database path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The schema could not be brought up to date.
    #[error(transparent)]
    Migration(MigrationError),
    /// Any other SQLite failure.
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
}

/// SQLCipher reports a page whose MAC fails, or a header it cannot decrypt,
/// as "not a database" or "database disk image is malformed".
fn is_undecryptable(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if is_undecryptable(&e) {
            Self::WrongKeyOrCorrupt
        } else {
            Self::Sqlite(e)
        }
    }
}

impl From<MigrationError> for StoreError {
    fn from(e: MigrationError) -> Self {
        if e.sqlite().is_some_and(is_undecryptable) {
            Self::WrongKeyOrCorrupt
        } else {
            Self::Migration(e)
        }
    }
}

/// An open, keyed, migrated vault database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the existing database at `path` with `key` and migrates it to
    /// the latest schema. Never creates a file.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub fn open(path: &Path, key: &DatabaseKey) -> Result<Self, StoreError> {
        if !exists(path)? {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        Self::init(conn, path, key)
    }

    /// Re-encrypts the whole database under `key` (SQLCipher's `PRAGMA
    /// rekey`, in one transaction of its own): from now on only `key` opens
    /// it.
    pub fn rekey(&self, key: &DatabaseKey) -> Result<(), StoreError> {
        let raw = key.sqlcipher_raw_key();
        let statement = SecretString::from(format!("PRAGMA rekey = \"{}\";", raw.expose_secret()));
        // Every page in the main file first: frames left in the WAL would
        // stay under the old key.
        self.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn().execute_batch(statement.expose_secret())?;
        self.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        // Proven at once: a page the new key cannot read is an error now.
        self.conn()
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
                row.get::<_, i64>(0)
            })?;
        Ok(())
    }

    /// Creates a new database at `path`, keyed with `key`, at the latest
    /// schema. Refuses when a file is already there.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub fn create(path: &Path, key: &DatabaseKey) -> Result<Self, StoreError> {
        if exists(path)? {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        // Owner-only from its first byte; SQLite gives the -wal and -shm
        // files the database's permissions.
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|source| StoreError::Access {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        Self::init(conn, path, key)
    }

    fn init(conn: Connection, path: &Path, key: &DatabaseKey) -> Result<Self, StoreError> {
        key_connection(&conn, key)?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        let from = migrations::migrate(&mut store.conn)?;
        tracing::debug!(from, to = migrations::LATEST, "database open");
        Ok(store)
    }

    fn configure(&self) -> Result<(), StoreError> {
        // Sorting and temporary tables would otherwise spill decrypted rows
        // into unencrypted temp files.
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // WAL rather than DELETE: the sealing jobs (issue 4) commit a journal
        // row before every IMAP step while the UI searches the index; in WAL
        // readers never block that writer and each commit is one sequential
        // append. SQLCipher encrypts the -wal file page by page like the
        // database itself. synchronous = FULL because a journal row must be
        // on disk before the step it announces (a power cut in NORMAL mode
        // may lose the last commits).
        let mode: String =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "could not switch the database to WAL mode");
        }
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of migrations applied.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(migrations::version(&self.conn)?)
    }

    /// Checks every page's MAC and the b-tree structure. Reads the whole
    /// file, so it is for `coffer status --check`-style use, not every unlock.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let mut problems = Vec::new();
        for pragma in ["cipher_integrity_check", "quick_check"] {
            let mut stmt = self.conn.prepare(&format!("PRAGMA {pragma}"))?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            for row in rows {
                let line = row?;
                if line != "ok" {
                    problems.push(line);
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            tracing::warn!(count = problems.len(), "database integrity check failed");
            Err(StoreError::WrongKeyOrCorrupt)
        }
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn exists(path: &Path) -> Result<bool, StoreError> {
    path.try_exists().map_err(|source| StoreError::Access {
        path: path.to_path_buf(),
        source,
    })
}

/// Keys the connection with the raw key (no PBKDF2) and proves the key right
/// by reading the schema: SQLCipher only decrypts on first access.
fn key_connection(conn: &Connection, key: &DatabaseKey) -> Result<(), StoreError> {
    // `pragma_update` would quote the literal as a string ('x''…'''), which
    // SQLCipher would then run through PBKDF2 as a passphrase. The statement
    // text holds the key, so it lives in a zeroizing SecretString.
    // SQLCipher prints its own diagnostics (page numbers of failed MACs) to
    // stderr by default; our errors say the same thing once, clearly.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    let raw = key.sqlcipher_raw_key();
    let statement = SecretString::from(format!("PRAGMA key = \"{}\";", raw.expose_secret()));
    conn.execute_batch(statement.expose_secret())?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })?;
    Ok(())
}

#[cfg(test)]
mod rekey_tests {
    use coffer_core::MasterSecret;

    use super::*;

    #[test]
    fn a_rekeyed_database_opens_with_the_new_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let old = MasterSecret::from_bytes(&mut [1; 32]).derive().unwrap();
        let new = MasterSecret::from_bytes(&mut [2; 32]).derive().unwrap();
        {
            let store = Store::create(&path, old.database_key()).unwrap();
            store.set_setting("kept", "yes").unwrap();
            store.rekey(new.database_key()).unwrap();
            store.set_setting("after", "too").unwrap();
        }
        let store = Store::open(&path, new.database_key()).unwrap();
        store.check_integrity().unwrap();
        assert_eq!(store.setting("kept").unwrap().as_deref(), Some("yes"));
        assert_eq!(store.setting("after").unwrap().as_deref(), Some("too"));
        drop(store);
        assert!(matches!(
            Store::open(&path, old.database_key()),
            Err(StoreError::WrongKeyOrCorrupt)
        ));
    }
}

/// Test fixtures elsewhere in the crate build old-schema databases with it.
#[cfg(test)]
pub(crate) fn key_connection_for_tests(
    conn: &Connection,
    key: &DatabaseKey,
) -> Result<(), StoreError> {
    key_connection(conn, key)
}

#[cfg(test)]
mod tests {
    use coffer_core::MasterSecret;

    use super::*;

    fn key(fill: u8) -> coffer_core::VaultKeys {
        MasterSecret::from_bytes(&mut [fill; 32]).derive().unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn creates_an_empty_database_at_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let store = Store::create(&path, key(1).database_key()).unwrap();
        let meta = store.meta().unwrap();
        assert_eq!(meta.schema_version, migrations::LATEST);
        assert_eq!(meta.format_version, 1);
        assert!(meta.created_at > 1_700_000_000);
        let temp: i64 = store
            .conn()
            .pragma_query_value(None, "temp_store", |r| r.get(0))
            .unwrap();
        assert_eq!(temp, 2, "temp_store = MEMORY");
        let fk: i64 = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        store.check_integrity().unwrap();
    }

    #[test]
    fn reopens_with_the_right_key_and_keeps_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let store = Store::create(&path, key(1).database_key()).unwrap();
        store.set_setting("theme", "dark").unwrap();
        store.set_setting("theme", "light").unwrap();
        drop(store);
        let store = Store::open(&path, key(1).database_key()).unwrap();
        assert_eq!(store.setting("theme").unwrap().as_deref(), Some("light"));
        assert_eq!(store.setting("nope").unwrap(), None);
        assert!(store.remove_setting("theme").unwrap());
        assert!(!store.remove_setting("theme").unwrap());
        assert_eq!(store.setting("theme").unwrap(), None);
    }

    #[test]
    fn a_wrong_key_is_a_clear_error_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        drop(Store::create(&path, key(1).database_key()).unwrap());
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path, key(2).database_key()).unwrap_err();
        assert!(matches!(err, StoreError::WrongKeyOrCorrupt), "{err:?}");
        assert!(err.to_string().contains("cannot be decrypted"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_wrong_key_or_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let err = Store::open(&path, key(1).database_key()).unwrap_err();
        assert!(matches!(err, StoreError::WrongKeyOrCorrupt), "{err:?}");
    }

    #[test]
    fn open_never_creates_and_create_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        assert!(matches!(
            Store::open(&path, key(1).database_key()),
            Err(StoreError::Missing(_))
        ));
        assert!(!path.exists());
        drop(Store::create(&path, key(1).database_key()).unwrap());
        assert!(matches!(
            Store::create(&path, key(1).database_key()),
            Err(StoreError::AlreadyExists(_))
        ));
    }

    #[test]
    fn a_previous_version_database_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let keys = key(3);
        // The fixture: a database as a schema-1 build of Coffer left it.
        {
            let mut conn = Connection::open(&path).unwrap();
            key_connection(&conn, keys.database_key()).unwrap();
            migrations::migrate_to(&mut conn, 1).unwrap();
            conn.execute(
                "INSERT INTO settings (key, value) VALUES ('kept', 'yes')",
                [],
            )
            .unwrap();
            assert_eq!(migrations::version(&conn).unwrap(), 1);
        }
        let store = Store::open(&path, keys.database_key()).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
        assert_eq!(store.setting("kept").unwrap().as_deref(), Some("yes"));
        store
            .conn()
            .execute(
                "INSERT INTO accounts (name, imap_host, username) VALUES ('a', 'imap.example', 'u')",
                [],
            )
            .unwrap();
        let (port, security): (i64, String) = store
            .conn()
            .query_row("SELECT imap_port, security FROM accounts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((port, security.as_str()), (993, "tls"));
    }

    #[test]
    fn corrupted_pages_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        drop(Store::create(&path, key(1).database_key()).unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 64] {
            *b ^= 0xff;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path, key(1).database_key())
            .and_then(|s| s.check_integrity().map(|()| s))
            .unwrap_err();
        assert!(matches!(err, StoreError::WrongKeyOrCorrupt), "{err:?}");
    }

    #[test]
    fn no_plaintext_reaches_the_files() {
        const CANARY: &str = "canary-3f9c1d-plaintext";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let store = Store::create(&path, key(1).database_key()).unwrap();
        store.set_setting("note", CANARY).unwrap();
        // Look while the connection is open (the -wal file exists) and after.
        let scan = |when: &str| {
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                let p = entry.unwrap().path();
                // Owner-only, the database and SQLite's files beside it.
                let mode = std::os::unix::fs::PermissionsExt::mode(
                    &std::fs::metadata(&p).unwrap().permissions(),
                );
                assert_eq!(mode & 0o777, 0o600, "{when}: {p:?}");
                let bytes = std::fs::read(&p).unwrap();
                assert!(!contains(&bytes, CANARY.as_bytes()), "{when}: {p:?}");
                assert!(!contains(&bytes, b"SQLite format 3"), "{when}: {p:?}");
            }
        };
        scan("open");
        drop(store);
        scan("closed");
        // The scan itself is sound: the same write to an unkeyed database
        // leaves the canary in the file.
        let plain = dir.path().join("plain.db");
        let conn = Connection::open(&plain).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('{CANARY}');"
        ))
        .unwrap();
        drop(conn);
        assert!(contains(&std::fs::read(&plain).unwrap(), CANARY.as_bytes()));
    }
}
