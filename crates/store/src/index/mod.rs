//! The message index: one row per sealed copy on the server, with what its
//! original says, full-text searchable; and a size-bounded cache of the
//! originals' bytes. All of it is the user's plaintext, kept only here.
//!
//! * [`Store::index_put`] and friends — rows in and out;
//! * [`search`] — a parsed query compiled to SQL and FTS5;
//! * [`cjk`] — the bigram column that makes CJK words findable.

mod cjk;
mod list;
mod search;

use rusqlite::{OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

pub use search::Hit;

use crate::store::{Store, StoreError};

pub use list::{FolderCount, ListRow};

/// How far a row's content can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Opened with the vault's keys and its MAC verified: content indexed.
    Genuine,
    /// A seal this vault cannot vouch for (forged to the public key, made by
    /// another vault): listed, never read.
    Unverified,
    /// A genuine seal whose original is itself a Coffer seal that does not
    /// verify: listed, never read.
    Wrapped,
}

impl Trust {
    fn as_str(self) -> &'static str {
        match self {
            Trust::Genuine => "genuine",
            Trust::Unverified => "unverified",
            Trust::Wrapped => "wrapped",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "genuine" => Trust::Genuine,
            "wrapped" => Trust::Wrapped,
            // The CHECK constraint allows nothing else; unverified promises least.
            _ => Trust::Unverified,
        }
    }
}

/// An attachment as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// The file name, if the sender gave one.
    pub name: Option<String>,
    /// `type/subtype`.
    #[serde(rename = "type")]
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// Shown inside the message rather than offered as a file.
    pub inline: bool,
}

/// Where a sealed copy is on the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CopyPlace {
    /// The account's name.
    pub account: String,
    /// The folder the copy is in.
    pub folder: String,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// The copy's UID.
    pub uid: u32,
}

/// A message as the index holds it (without its body text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexEntry {
    /// Where the sealed copy is.
    pub place: Option<CopyPlace>,
    /// The seal id (hex).
    pub seal_id: String,
    /// How far the content can be trusted.
    pub trust: Option<Trust>,
    /// The folder the manifest names, when the copy was found elsewhere.
    pub sealed_folder: Option<String>,
    /// The copy's flags.
    pub flags: Vec<String>,
    /// The copy's INTERNALDATE (the original's), Unix seconds.
    pub internaldate: i64,
    /// The original's size in bytes.
    pub size: u64,
    /// The Date field (Unix seconds), or the INTERNALDATE when there is none.
    pub date: i64,
    /// `From`, as `Name <address>` joined by `, `.
    pub from: String,
    /// `To`, likewise.
    pub to: String,
    /// `Cc`, likewise.
    pub cc: String,
    /// `Bcc`, likewise (sent mail and drafts).
    pub bcc: String,
    /// The subject.
    pub subject: String,
    /// The Message-ID, without angle brackets.
    pub message_id: String,
    /// In-Reply-To, without angle brackets.
    pub in_reply_to: String,
    /// References, oldest first.
    pub references: Vec<String>,
    /// The conversation key (see the `thread` column).
    pub thread: String,
    /// Attachments and named inline parts.
    pub attachments: Vec<AttachmentInfo>,
    /// Whether a non-inline attachment is among them.
    pub has_attachment: bool,
}

/// What [`Store::index_put`] stores: the entry and its searchable text.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    /// Everything listed.
    pub entry: IndexEntry,
    /// The body as text (searched, shown in snippets).
    pub body: String,
}

/// Where a row says its copy is (see [`Store::index_rows_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPlace {
    /// The row's id.
    pub id: i64,
    /// The folder's UIDVALIDITY when indexed.
    pub uid_validity: u32,
    /// The copy's UID.
    pub uid: u32,
    /// The copy's flags, space-separated, as last seen.
    pub flags: String,
    /// The seal id (hex), '' for a row without one.
    pub seal_id: String,
}

/// An indexed message: its device-local id and its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// Stable on this device while the copy stays where it is.
    pub id: i64,
    /// The entry.
    pub entry: IndexEntry,
}

const COLUMNS: &str = "id, account, folder, uid_validity, uid, seal_id, trust, sealed_folder, \
                       flags, internaldate, size, date, from_addr, to_addr, cc_addr, bcc_addr, \
                       subject, message_id, in_reply_to, refs, thread, attachments, has_attachment";

fn read_row(row: &Row<'_>) -> rusqlite::Result<Indexed> {
    let words = |s: String| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
    let sealed_folder: String = row.get(7)?;
    let attachments: String = row.get(21)?;
    Ok(Indexed {
        id: row.get(0)?,
        entry: IndexEntry {
            place: Some(CopyPlace {
                account: row.get(1)?,
                folder: row.get(2)?,
                uid_validity: row.get(3)?,
                uid: row.get(4)?,
            }),
            seal_id: row.get(5)?,
            trust: Some(Trust::parse(&row.get::<_, String>(6)?)),
            sealed_folder: (!sealed_folder.is_empty()).then_some(sealed_folder),
            flags: words(row.get(8)?),
            internaldate: row.get(9)?,
            size: row.get::<_, i64>(10)?.try_into().unwrap_or(0),
            date: row.get(11)?,
            from: row.get(12)?,
            to: row.get(13)?,
            cc: row.get(14)?,
            bcc: row.get(15)?,
            subject: row.get(16)?,
            message_id: row.get(17)?,
            in_reply_to: row.get(18)?,
            references: words(row.get(19)?),
            thread: row.get(20)?,
            // Written by index_put from the same type: unreadable JSON can
            // only be a damaged row, and the list is merely empty then.
            attachments: serde_json::from_str(&attachments).unwrap_or_default(),
            has_attachment: row.get::<_, i64>(22)? != 0,
        },
    })
}

/// The setting that bounds the body cache, in bytes.
pub const BODY_CACHE_SETTING: &str = "body_cache_bytes";
/// The body cache's default bound: 2 GiB.
pub const DEFAULT_BODY_CACHE_BYTES: u64 = 2 << 30;

impl Store {
    /// Adds or replaces the row of the copy at `new.entry.place`; returns its
    /// id (kept when the row is replaced). `raw`, the original's bytes, goes
    /// into the body cache when given.
    pub fn index_put(&self, new: &NewEntry, raw: Option<&[u8]>) -> Result<i64, StoreError> {
        let ids = self.index_put_many(&[(new, raw)])?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// [`Store::index_put`] for many rows in one transaction (one sync to
    /// disk, one trim of the cache), as a sealing batch or a download
    /// batch writes them.
    pub fn index_put_many(
        &self,
        rows: &[(&NewEntry, Option<&[u8]>)],
    ) -> Result<Vec<i64>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.conn().unchecked_transaction()?;
        let mut ids = Vec::with_capacity(rows.len());
        for (new, raw) in rows {
            let id = put_row(&tx, new)?;
            if let Some(raw) = raw {
                put_body(&tx, id, raw)?;
            }
            ids.push(id);
        }
        tx.commit()?;
        if rows.iter().any(|(_, raw)| raw.is_some()) {
            self.trim_body_cache()?;
        }
        Ok(ids)
    }

    /// The row with this id.
    pub fn index_get(&self, id: i64) -> Result<Option<Indexed>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
            .query_row([id], read_row)
            .optional()?)
    }

    /// The body text of the row with this id.
    pub fn index_body_text(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT body FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Every row of `account` (all accounts when `None`), restricted to
    /// `folders` when not empty, oldest first by INTERNALDATE.
    pub fn index_list(
        &self,
        account: Option<&str>,
        folders: &[String],
    ) -> Result<Vec<Indexed>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE (?1 IS NULL OR account = ?1) \
             ORDER BY account, folder, internaldate, uid"
        ))?;
        let rows = stmt.query_map([account], read_row)?;
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            let in_folders = row
                .entry
                .place
                .as_ref()
                .is_some_and(|p| folders.is_empty() || folders.contains(&p.folder));
            if in_folders {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Where each row of one folder of `account` says its copy is, to
    /// compare with the server (any UIDVALIDITY), by UID.
    pub fn index_rows_of(&self, account: &str, folder: &str) -> Result<Vec<RowPlace>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, uid_validity, uid, flags, seal_id FROM messages \
             WHERE account = ?1 AND folder = ?2 ORDER BY uid",
        )?;
        let rows = stmt.query_map(params![account, folder], |r| {
            Ok(RowPlace {
                id: r.get(0)?,
                uid_validity: r.get(1)?,
                uid: r.get(2)?,
                flags: r.get(3)?,
                seal_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The folders of `account` that have rows, with the UIDVALIDITY they
    /// were indexed under.
    pub fn index_folders(&self, account: &str) -> Result<Vec<(String, u32)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT folder, uid_validity FROM messages WHERE account = ?1 ORDER BY folder",
        )?;
        let rows = stmt.query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets the flags of a row.
    pub fn index_set_flags(&self, id: i64, flags: &[String]) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE messages SET flags = ?2 WHERE id = ?1",
            params![id, flags.join(" ")],
        )?;
        Ok(())
    }

    /// Records that the copy of row `id` now lives at `place`.
    pub fn index_move(&self, id: i64, place: &CopyPlace) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE messages SET account = ?2, folder = ?3, uid_validity = ?4, uid = ?5 \
             WHERE id = ?1",
            params![
                id,
                place.account,
                place.folder,
                place.uid_validity,
                place.uid
            ],
        )?;
        Ok(())
    }

    /// Removes rows (their cached bodies go with them).
    pub fn index_remove(&self, ids: &[i64]) -> Result<(), StoreError> {
        let tx = self.conn().unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
            for id in ids {
                stmt.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The cached original bytes of row `id`, if cached (and marks them used).
    pub fn cached_body(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let raw: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT raw FROM bodies WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if raw.is_some() {
            self.conn().execute(
                "UPDATE bodies SET used_at = unixepoch() WHERE id = ?1",
                [id],
            )?;
        }
        Ok(raw)
    }

    /// Caches the original bytes of row `id`, then trims the cache.
    pub fn cache_body(&self, id: i64, raw: &[u8]) -> Result<(), StoreError> {
        put_body(self.conn(), id, raw)?;
        self.trim_body_cache()
    }

    /// The body cache's bound in bytes (the `body_cache_bytes` setting).
    pub fn body_cache_limit(&self) -> Result<u64, StoreError> {
        Ok(self
            .setting(BODY_CACHE_SETTING)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_BODY_CACHE_BYTES))
    }

    /// Sets the body cache's bound and trims the cache to it.
    pub fn set_body_cache_limit(&self, bytes: u64) -> Result<(), StoreError> {
        self.set_setting(BODY_CACHE_SETTING, &bytes.to_string())?;
        self.trim_body_cache()
    }

    /// How many bodies the cache holds, and their bytes.
    pub fn body_cache_usage(&self) -> Result<(u64, u64), StoreError> {
        let (n, bytes): (i64, i64) = self.conn().query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM bodies",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n.try_into().unwrap_or(0), bytes.try_into().unwrap_or(0)))
    }

    /// Drops the least recently used bodies until the cache fits its bound.
    fn trim_body_cache(&self) -> Result<(), StoreError> {
        let limit = i64::try_from(self.body_cache_limit()?).unwrap_or(i64::MAX);
        let total: i64 =
            self.conn()
                .query_row("SELECT coalesce(sum(size), 0) FROM bodies", [], |r| {
                    r.get(0)
                })?;
        if total <= limit {
            return Ok(());
        }
        // Walk from the least recently used, summing until enough is freed.
        self.conn().execute(
            "DELETE FROM bodies WHERE id IN (
                SELECT id FROM (
                    SELECT id, sum(size) OVER (ORDER BY used_at, id) AS freed FROM bodies
                ) WHERE freed - size < ?1
             )",
            [total - limit],
        )?;
        Ok(())
    }
}

/// Inserts or replaces one row (its text goes to the FTS index by trigger).
fn put_row(conn: &rusqlite::Connection, new: &NewEntry) -> Result<i64, StoreError> {
    let e = &new.entry;
    let place = e.place.clone().unwrap_or(CopyPlace {
        account: String::new(),
        folder: String::new(),
        uid_validity: 0,
        uid: 0,
    });
    let trust = e.trust.unwrap_or(Trust::Unverified);
    let filenames: Vec<&str> = e
        .attachments
        .iter()
        .filter_map(|a| a.name.as_deref())
        .collect();
    let attachments = serde_json::to_string(&e.attachments).unwrap_or_else(|_| "[]".into());
    let cjk = cjk::bigrams(&format!("{}\n{}", e.subject, new.body));
    let id: i64 = conn.query_row(
        "INSERT INTO messages (account, folder, uid_validity, uid, seal_id, trust, \
             sealed_folder, flags, internaldate, size, date, from_addr, to_addr, cc_addr, \
             bcc_addr, subject, message_id, in_reply_to, refs, thread, body, filenames, cjk, \
             attachments, has_attachment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)
             ON CONFLICT (account, folder, uid_validity, uid) DO UPDATE SET
                seal_id = excluded.seal_id, trust = excluded.trust,
                sealed_folder = excluded.sealed_folder, flags = excluded.flags,
                internaldate = excluded.internaldate, size = excluded.size, date = excluded.date,
                from_addr = excluded.from_addr, to_addr = excluded.to_addr,
                cc_addr = excluded.cc_addr, bcc_addr = excluded.bcc_addr,
                subject = excluded.subject, message_id = excluded.message_id,
                in_reply_to = excluded.in_reply_to, refs = excluded.refs,
                thread = excluded.thread, body = excluded.body, filenames = excluded.filenames,
                cjk = excluded.cjk, attachments = excluded.attachments,
                has_attachment = excluded.has_attachment, indexed_at = unixepoch()
             RETURNING id",
        params![
            place.account,
            place.folder,
            place.uid_validity,
            place.uid,
            e.seal_id,
            trust.as_str(),
            e.sealed_folder.clone().unwrap_or_default(),
            e.flags.join(" "),
            e.internaldate,
            i64::try_from(e.size).unwrap_or(i64::MAX),
            e.date,
            e.from,
            e.to,
            e.cc,
            e.bcc,
            e.subject,
            e.message_id,
            e.in_reply_to,
            e.references.join(" "),
            e.thread,
            new.body,
            filenames.join(" "),
            cjk,
            attachments,
            i64::from(e.has_attachment),
        ],
        |row| row.get(0),
    )?;
    Ok(id)
}

fn put_body(conn: &rusqlite::Connection, id: i64, raw: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO bodies (id, raw, size) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET raw = excluded.raw, size = excluded.size,
            used_at = unixepoch()",
        params![id, raw, i64::try_from(raw.len()).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
