//! The app's folder list and message list: counts per folder, and one page
//! of a folder at a time, newest first (or one row per conversation).

use rusqlite::params;

use super::Trust;
use crate::store::{Store, StoreError};

/// One folder of the folder list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderCount {
    /// The account.
    pub account: String,
    /// The folder.
    pub folder: String,
    /// Messages indexed in it.
    pub total: u64,
    /// Those without `\Seen`.
    pub unread: u64,
}

/// One row of the message list: what a list row shows, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The index row.
    pub id: i64,
    /// The Date field (else the INTERNALDATE), Unix seconds.
    pub date: i64,
    /// `From`.
    pub from: String,
    /// The subject.
    pub subject: String,
    /// The flags.
    pub flags: Vec<String>,
    /// Whether it has a real attachment.
    pub has_attachment: bool,
    /// The conversation's key.
    pub thread: String,
    /// How far its content can be trusted.
    pub trust: Option<Trust>,
    /// Messages of its conversation in the folder (1 unless grouped).
    pub thread_size: u64,
}

const ROW: &str =
    "m.id, m.date, m.from_addr, m.subject, m.flags, m.has_attachment, m.thread, m.trust";

fn read(r: &rusqlite::Row<'_>, thread_size: u64) -> rusqlite::Result<ListRow> {
    let flags: String = r.get(4)?;
    let trust: String = r.get(7)?;
    Ok(ListRow {
        id: r.get(0)?,
        date: r.get(1)?,
        from: r.get(2)?,
        subject: r.get(3)?,
        flags: flags.split_whitespace().map(str::to_owned).collect(),
        has_attachment: r.get::<_, i64>(5)? != 0,
        thread: r.get(6)?,
        trust: Some(Trust::parse(&trust)),
        thread_size,
    })
}

/// SQLite integers are signed.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Every folder with indexed messages, with its total and unread counts,
    /// by account then folder name.
    pub fn folder_counts(&self) -> Result<Vec<FolderCount>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT account, folder, count(*), \
                    sum(instr(' ' || flags || ' ', ' \\Seen ') = 0) \
             FROM messages GROUP BY account, folder ORDER BY account, folder",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FolderCount {
                account: r.get(0)?,
                folder: r.get(1)?,
                total: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                unread: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rows `offset..offset + limit` of a folder, newest first, and how
    /// many rows the folder has.
    pub fn folder_page(
        &self,
        account: &str,
        folder: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<ListRow>), StoreError> {
        self.page(
            "count(*)",
            &format!(
                "SELECT {ROW}, 1 FROM messages AS m WHERE m.account = ?1 AND m.folder = ?2 \
                 ORDER BY m.date DESC, m.id DESC LIMIT ?3 OFFSET ?4"
            ),
            [account, folder],
            (offset, limit),
        )
    }

    /// Like [`Store::folder_page`], one row per conversation: its newest
    /// message, with the conversation's size; the conversation with the
    /// newest message first.
    pub fn folder_thread_page(
        &self,
        account: &str,
        folder: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<ListRow>), StoreError> {
        self.page(
            "count(DISTINCT thread)",
            &format!(
                "WITH t AS (SELECT id, date, count(*) OVER (PARTITION BY thread) AS n, \
                        row_number() OVER (PARTITION BY thread ORDER BY date DESC, id DESC) AS r \
                      FROM messages WHERE account = ?1 AND folder = ?2) \
                 SELECT {ROW}, t.n FROM t JOIN messages AS m ON m.id = t.id WHERE t.r = 1 \
                 ORDER BY t.date DESC, t.id DESC LIMIT ?3 OFFSET ?4"
            ),
            [account, folder],
            (offset, limit),
        )
    }

    /// How many `count` of the folder there are, and one page of `rows`
    /// (whose ninth column is the conversation's size).
    fn page(
        &self,
        count: &str,
        rows: &str,
        [account, folder]: [&str; 2],
        (offset, limit): (u64, u64),
    ) -> Result<(u64, Vec<ListRow>), StoreError> {
        let total: i64 = self.conn().query_row(
            &format!("SELECT {count} FROM messages WHERE account = ?1 AND folder = ?2"),
            params![account, folder],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn().prepare_cached(rows)?;
        let rows = stmt.query_map(params![account, folder, clamp(limit), clamp(offset)], |r| {
            let n: i64 = r.get(8)?;
            read(r, n.try_into().unwrap_or(1))
        })?;
        Ok((
            total.try_into().unwrap_or(0),
            rows.collect::<Result<_, _>>()?,
        ))
    }
}
