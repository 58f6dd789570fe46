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

/// Migration 4: the message index (issue 11). One row per sealed copy on
/// the server, with what its original says (headers, text, attachment list)
/// and its flags; a full-text index over the text (FTS5, external content:
/// the text is stored once, in `messages`); and a cache of original bytes.
/// Everything here is plaintext of the user's mail, which is why it lives
/// only in this SQLCipher file.
const M4_MESSAGE_INDEX: &str = "
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY NOT NULL,
    account         TEXT NOT NULL,
    -- Where the sealed copy is now, and its UID there.
    folder          TEXT NOT NULL,
    uid_validity    INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
    seal_id         TEXT NOT NULL DEFAULT '',
    -- genuine: opened, MAC verified, content indexed; unverified: a seal
    -- this vault cannot vouch for (forged, foreign), listed without content;
    -- wrapped: a genuine seal of such a seal, listed without content.
    trust           TEXT NOT NULL DEFAULT 'genuine'
                    CHECK (trust IN ('genuine', 'unverified', 'wrapped')),
    -- The folder the manifest names, when the copy was found elsewhere.
    sealed_folder   TEXT NOT NULL DEFAULT '',
    -- The copy's flags, space-separated, as the server reports them.
    flags           TEXT NOT NULL DEFAULT '',
    internaldate    INTEGER NOT NULL DEFAULT 0,
    -- The original's size in bytes.
    size            INTEGER NOT NULL DEFAULT 0,
    -- The Date field, or the INTERNALDATE when it has none: what results sort by.
    date            INTEGER NOT NULL DEFAULT 0,
    from_addr       TEXT NOT NULL DEFAULT '',
    to_addr         TEXT NOT NULL DEFAULT '',
    cc_addr         TEXT NOT NULL DEFAULT '',
    bcc_addr        TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    in_reply_to     TEXT NOT NULL DEFAULT '',
    refs            TEXT NOT NULL DEFAULT '',
    -- The conversation: the first of References, else In-Reply-To, else the
    -- Message-ID, else the row's own id.
    thread          TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    -- Attachment file names (space-separated), for filename: searches.
    filenames       TEXT NOT NULL DEFAULT '',
    -- CJK runs of the text as overlapping bigrams: unicode61 does not split
    -- CJK text into words.
    cjk             TEXT NOT NULL DEFAULT '',
    -- [{name, type, size, inline}] as JSON.
    attachments     TEXT NOT NULL DEFAULT '[]',
    has_attachment  INTEGER NOT NULL DEFAULT 0,
    indexed_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    UNIQUE (account, folder, uid_validity, uid)
) STRICT;
CREATE INDEX messages_by_date ON messages (date DESC);
CREATE INDEX messages_by_thread ON messages (thread);
CREATE INDEX messages_by_seal ON messages (account, seal_id);

CREATE VIRTUAL TABLE message_fts USING fts5(
    subject, from_addr, to_addr, cc_addr, body, filenames, cjk,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO message_fts (rowid, subject, from_addr, to_addr, cc_addr, body, filenames, cjk)
    VALUES (new.id, new.subject, new.from_addr, new.to_addr, new.cc_addr, new.body,
            new.filenames, new.cjk);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, from_addr, to_addr, cc_addr, body,
                             filenames, cjk)
    VALUES ('delete', old.id, old.subject, old.from_addr, old.to_addr, old.cc_addr, old.body,
            old.filenames, old.cjk);
END;
-- Only a change of the text re-indexes it; flags and moves do not.
CREATE TRIGGER messages_au AFTER UPDATE OF subject, from_addr, to_addr, cc_addr, body,
                                           filenames, cjk ON messages BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, from_addr, to_addr, cc_addr, body,
                             filenames, cjk)
    VALUES ('delete', old.id, old.subject, old.from_addr, old.to_addr, old.cc_addr, old.body,
            old.filenames, old.cjk);
    INSERT INTO message_fts (rowid, subject, from_addr, to_addr, cc_addr, body, filenames, cjk)
    VALUES (new.id, new.subject, new.from_addr, new.to_addr, new.cc_addr, new.body,
            new.filenames, new.cjk);
END;

-- Original bytes of recently read or sealed messages, up to the
-- body_cache_bytes setting; older ones are dropped first.
CREATE TABLE bodies (
    id        INTEGER PRIMARY KEY NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    raw       BLOB NOT NULL,
    size      INTEGER NOT NULL DEFAULT 0,
    used_at   INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
-- Covers the cache's total (sum of size) and its trim (oldest first)
-- without reading the bodies' pages.
CREATE INDEX bodies_by_use ON bodies (used_at, size);
";

/// Migration 5: the extra CA's certificates kept in the vault when an
/// account is added, so that editing or replacing the file later changes
/// nothing ('' for accounts added before: they still read `ca_file`).
const M5_ACCOUNT_CA_PEM: &str = "
ALTER TABLE accounts ADD COLUMN ca_pem BLOB NOT NULL DEFAULT x'';
";

/// Migration 6: what the last complete sync saw of each folder on a server
/// with CONDSTORE (RFC 7162): a folder whose UIDVALIDITY and HIGHESTMODSEQ
/// are unchanged has had no change at all (no new message, no flag change,
/// no expunge) and is not listed again. And an index that covers what a
/// search sorts (date, then id) and filters on: a message's row holds its
/// body text, so a scan of the rows reads (and decrypts) a page per
/// message, the index a page per hundred.
const M6_FOLDER_SYNC_AND_SEARCH_ORDER: &str = "
CREATE INDEX messages_by_trust_date ON messages (trust, date, id, flags, has_attachment, size, folder);
CREATE TABLE folder_sync (
    account         TEXT NOT NULL,
    folder          TEXT NOT NULL,
    uid_validity    INTEGER NOT NULL,
    highest_modseq  INTEGER NOT NULL,
    -- Messages that were not sealed then (for the sync's summary).
    not_sealed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, folder)
) STRICT;
";

/// Migration 7: the app's message list reads a folder newest first, a page
/// at a time, and counts each folder's unread messages; this index covers
/// both without reading message rows.
const M7_FOLDER_LIST_ORDER: &str = "
CREATE INDEX messages_by_folder_date ON messages (account, folder, date, id, flags, thread);
";

/// Migration 8: sending. The outbox keeps every message until each of its
/// recipients has an answer (a 5xx is final, a 4xx or a broken connection
/// is retried), with the sender's copy (its Bcc kept) to be sealed into
/// Sent; and an account's choice of STARTTLS for submission.
const M8_OUTBOX: &str = "
ALTER TABLE accounts ADD COLUMN smtp_starttls INTEGER NOT NULL DEFAULT 0;
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY NOT NULL,
    account         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    envelope_from   TEXT NOT NULL,
    -- What is submitted (no Bcc), and the sender's copy (with Bcc).
    data            BLOB NOT NULL,
    sent_copy       BLOB NOT NULL,
    -- [{address, state: pending|accepted|rejected, reply}] as JSON.
    recipients      TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    -- The sealed copy is in Sent.
    copy_stored     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
";

/// Migration 9: OAuth2 sign-in. An account that signs in with OAuth keeps
/// its grant here (its password column stays empty): where the provider's
/// endpoints are, the client Coffer is to it, the refresh token, and the
/// current access token with when it expires.
const M9_OAUTH_GRANTS: &str = "
CREATE TABLE oauth_grants (
    account       TEXT PRIMARY KEY NOT NULL,
    provider      TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret TEXT NOT NULL DEFAULT '',
    auth_url      TEXT NOT NULL,
    token_url     TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '',
    refresh_token TEXT NOT NULL,
    access_token  TEXT NOT NULL DEFAULT '',
    expires_at    INTEGER NOT NULL DEFAULT 0,
    lifetime      INTEGER NOT NULL DEFAULT 0
) STRICT;
";

/// Every migration, in order.
pub const MIGRATIONS: &[&str] = &[
    M1_VAULT_META_AND_SETTINGS,
    M2_ACCOUNTS,
    M3_SEAL_JOURNAL,
    M4_MESSAGE_INDEX,
    M5_ACCOUNT_CA_PEM,
    M6_FOLDER_SYNC_AND_SEARCH_ORDER,
    M7_FOLDER_LIST_ORDER,
    M8_OUTBOX,
    M9_OAUTH_GRANTS,
];

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
