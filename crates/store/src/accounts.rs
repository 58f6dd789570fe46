//! The IMAP accounts a vault seals: stored in the encrypted database, password included.

use rusqlite::{OptionalExtension as _, Row, params};
use secrecy::{ExposeSecret as _, SecretString};

use crate::store::Store;

/// What can go wrong with accounts.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// `add_account` found the name taken.
    #[error("an account named {0:?} already exists (remove it first, or pick another name)")]
    AlreadyExists(String),
    /// The stored row holds a value this build does not know.
    #[error("the account {name:?} has an unknown transport security {value:?}")]
    UnknownSecurity {
        /// The account.
        name: String,
        /// What the row says.
        value: String,
    },
    /// Any SQLite failure.
    #[error("database error while reading or writing accounts")]
    Sqlite(#[from] rusqlite::Error),
}

/// How the IMAP transport is protected (mirrors `coffer_net::Security`,
/// which the store does not depend on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSecurity {
    /// Implicit TLS.
    Tls,
    /// STARTTLS, required.
    StartTls,
    /// No TLS, loopback only.
    InsecureLoopback,
}

impl AccountSecurity {
    /// The value stored in the `security` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::StartTls => "starttls",
            Self::InsecureLoopback => "insecure_loopback",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "tls" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "insecure_loopback" => Some(Self::InsecureLoopback),
            _ => None,
        }
    }
}

/// One account as stored.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The user's name for the account (unique in the vault).
    pub name: String,
    /// IMAP host.
    pub imap_host: String,
    /// IMAP port.
    pub imap_port: u16,
    /// Login name.
    pub username: String,
    /// Login password (never logged, never written outside this database).
    pub password: SecretString,
    /// Transport security.
    pub security: AccountSecurity,
    /// An extra CA certificate file (PEM), if any.
    pub ca_file: Option<String>,
    /// That file's certificates as they were when the account was added
    /// (empty for accounts added before the vault kept them).
    pub ca_pem: Vec<u8>,
    /// SMTP host and port, if the account sends.
    pub smtp: Option<(String, u16)>,
    /// Submit with STARTTLS (587) instead of implicit TLS (465).
    pub smtp_starttls: bool,
    /// When the account was added (Unix seconds).
    pub created_at: i64,
}

const COLUMNS: &str = "name, imap_host, imap_port, username, password, security, ca_file, \
                       smtp_host, smtp_port, created_at, ca_pem, smtp_starttls";

fn read_row(row: &Row<'_>) -> rusqlite::Result<(AccountRecord, String)> {
    let security: String = row.get(5)?;
    let ca_file: String = row.get(6)?;
    let smtp_host: String = row.get(7)?;
    let record = AccountRecord {
        name: row.get(0)?,
        imap_host: row.get(1)?,
        imap_port: row.get(2)?,
        username: row.get(3)?,
        password: SecretString::from(row.get::<_, String>(4)?),
        security: AccountSecurity::Tls,
        ca_file: (!ca_file.is_empty()).then_some(ca_file),
        smtp: (!smtp_host.is_empty()).then(|| (smtp_host, row.get(8).unwrap_or(465))),
        created_at: row.get(9)?,
        ca_pem: row.get(10)?,
        smtp_starttls: row.get::<_, i64>(11)? != 0,
    };
    Ok((record, security))
}

fn with_security(
    (mut record, security): (AccountRecord, String),
) -> Result<AccountRecord, AccountError> {
    record.security =
        AccountSecurity::parse(&security).ok_or_else(|| AccountError::UnknownSecurity {
            name: record.name.clone(),
            value: security,
        })?;
    Ok(record)
}

impl Store {
    /// Adds an account; refuses a name already in use.
    #[tracing::instrument(skip_all, fields(name = %account.name))]
    pub fn add_account(&self, account: &AccountRecord) -> Result<(), AccountError> {
        let (smtp_host, smtp_port) = account.smtp.clone().unwrap_or_else(|| (String::new(), 465));
        let inserted = self.conn().execute(
            "INSERT INTO accounts (name, imap_host, imap_port, username, password, security, \
             ca_file, smtp_host, smtp_port, ca_pem, smtp_starttls) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (name) DO NOTHING",
            params![
                account.name,
                account.imap_host,
                account.imap_port,
                account.username,
                account.password.expose_secret(),
                account.security.as_str(),
                account.ca_file.clone().unwrap_or_default(),
                smtp_host,
                smtp_port,
                account.ca_pem,
                i64::from(account.smtp_starttls),
            ],
        )?;
        if inserted == 0 {
            return Err(AccountError::AlreadyExists(account.name.clone()));
        }
        Ok(())
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>, AccountError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY name"))?;
        let rows = stmt.query_map([], read_row)?;
        rows.map(|row| with_security(row?)).collect()
    }

    /// The account called `name`, if any.
    pub fn account(&self, name: &str) -> Result<Option<AccountRecord>, AccountError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1"),
                [name],
                read_row,
            )
            .optional()?
            .map(with_security)
            .transpose()
    }

    /// Removes the account called `name`; `false` when there was none.
    /// Its journal rows stay: they describe what is on the server.
    pub fn remove_account(&self, name: &str) -> Result<bool, AccountError> {
        // What sync saw of its folders goes too: an account added again
        // under this name is listed in full.
        self.conn()
            .execute("DELETE FROM folder_sync WHERE account = ?1", [name])?;
        self.conn()
            .execute("DELETE FROM oauth_grants WHERE account = ?1", [name])?;
        Ok(self
            .conn()
            .execute("DELETE FROM accounts WHERE name = ?1", [name])?
            > 0)
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::MasterSecret;

    use super::*;

    fn store(dir: &std::path::Path) -> Store {
        let keys = MasterSecret::from_bytes(&mut [7; 32]).derive().unwrap();
        Store::create(&dir.join("vault.db"), keys.database_key()).unwrap()
    }

    fn record(name: &str) -> AccountRecord {
        AccountRecord {
            name: name.to_owned(),
            imap_host: "imap.example".to_owned(),
            imap_port: 993,
            username: "alice".to_owned(),
            password: SecretString::from("pw-canary"),
            security: AccountSecurity::StartTls,
            ca_file: Some("/tmp/ca.pem".to_owned()),
            ca_pem: b"-----BEGIN CERTIFICATE-----".to_vec(),
            smtp: Some(("smtp.example".to_owned(), 587)),
            smtp_starttls: true,
            created_at: 0,
        }
    }

    #[test]
    fn add_list_get_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        store.add_account(&record("work")).unwrap();
        store.add_account(&record("home")).unwrap();
        assert!(matches!(
            store.add_account(&record("work")),
            Err(AccountError::AlreadyExists(n)) if n == "work"
        ));
        let names: Vec<_> = store
            .accounts()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["home", "work"]);
        let work = store.account("work").unwrap().unwrap();
        assert_eq!(work.security, AccountSecurity::StartTls);
        assert_eq!(work.password.expose_secret(), "pw-canary");
        assert_eq!(work.smtp, Some(("smtp.example".to_owned(), 587)));
        assert_eq!(work.ca_file.as_deref(), Some("/tmp/ca.pem"));
        assert!(store.remove_account("work").unwrap());
        assert!(!store.remove_account("work").unwrap());
        assert!(store.account("work").unwrap().is_none());
    }
}
