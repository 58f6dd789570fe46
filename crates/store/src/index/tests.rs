//! The index against a real SQLCipher database: rows, search, the cache.

use coffer_core::MasterSecret;
use coffer_core::search::parse;

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let keys = MasterSecret::from_bytes(&mut [3; 32]).derive().unwrap();
    let store = Store::create(&dir.path().join("vault.db"), keys.database_key()).unwrap();
    (dir, store)
}

const DAY: i64 = 86_400;
/// 2024-03-01T00:00:00Z
const MARCH: i64 = 1_709_251_200;

struct Msg<'a> {
    folder: &'a str,
    uid: u32,
    from: &'a str,
    subject: &'a str,
    body: &'a str,
    flags: &'a [&'a str],
    date: i64,
    size: u64,
    attachment: Option<&'a str>,
}

impl Default for Msg<'_> {
    fn default() -> Self {
        Self {
            folder: "INBOX",
            uid: 1,
            from: "Bob <bob@example.org>",
            subject: "",
            body: "",
            flags: &[],
            date: MARCH,
            size: 1000,
            attachment: None,
        }
    }
}

fn put(store: &Store, m: Msg<'_>) -> i64 {
    let attachments: Vec<AttachmentInfo> = m
        .attachment
        .map(|name| AttachmentInfo {
            name: Some(name.to_owned()),
            content_type: "application/pdf".into(),
            size: 10,
            inline: false,
        })
        .into_iter()
        .collect();
    let new = NewEntry {
        entry: IndexEntry {
            place: Some(CopyPlace {
                account: "work".into(),
                folder: m.folder.into(),
                uid_validity: 7,
                uid: m.uid,
            }),
            seal_id: format!("{:064x}", m.uid),
            trust: Some(Trust::Genuine),
            flags: m.flags.iter().map(|f| (*f).to_owned()).collect(),
            internaldate: m.date,
            size: m.size,
            date: m.date,
            from: m.from.into(),
            to: "Alice <alice@example.org>".into(),
            subject: m.subject.into(),
            message_id: format!("m{}@example.org", m.uid),
            has_attachment: !attachments.is_empty(),
            attachments,
            ..IndexEntry::default()
        },
        body: m.body.into(),
    };
    store.index_put(&new, Some(m.body.as_bytes())).unwrap()
}

/// The uids matching `query`, in result order.
fn uids(store: &Store, query: &str) -> Vec<u32> {
    let q = parse(query, MARCH + 30 * DAY).unwrap();
    store
        .index_search(&q, 100)
        .unwrap()
        .into_iter()
        .map(|h| h.message.entry.place.unwrap().uid)
        .collect()
}

fn corpus(store: &Store) {
    put(
        store,
        Msg {
            uid: 1,
            subject: "Quarterly report",
            body: "The café opens at nine. Warrant attached.",
            flags: &["\\Seen"],
            date: MARCH,
            ..Msg::default()
        },
    );
    put(
        store,
        Msg {
            uid: 2,
            subject: "Lunch",
            body: "Meet at the cafe near the station",
            from: "Carol <carol@example.net>",
            date: MARCH + DAY,
            size: 50_000,
            ..Msg::default()
        },
    );
    put(
        store,
        Msg {
            uid: 3,
            folder: "Work/Q1 Plans",
            subject: "会議の予定",
            body: "明日の午後に東京で会議があります",
            flags: &["\\Seen", "\\Flagged"],
            date: MARCH + 2 * DAY,
            ..Msg::default()
        },
    );
    put(
        store,
        Msg {
            uid: 4,
            subject: "Invoice",
            body: "Please find the invoice",
            attachment: Some("invoice-2024.pdf"),
            flags: &["\\Answered", "\\Seen"],
            date: MARCH - 40 * DAY,
            size: 2_000_000,
            ..Msg::default()
        },
    );
    put(
        store,
        Msg {
            uid: 5,
            subject: "Встреча",
            body: "Завтра встреча в офисе",
            date: MARCH + 3 * DAY,
            ..Msg::default()
        },
    );
}

#[test]
fn rows_round_trip_and_upsert_keeps_the_id() {
    let (_d, store) = store();
    let id = put(
        &store,
        Msg {
            subject: "first",
            ..Msg::default()
        },
    );
    let row = store.index_get(id).unwrap().unwrap();
    assert_eq!(row.entry.subject, "first");
    assert_eq!(row.entry.to, "Alice <alice@example.org>");
    let again = put(
        &store,
        Msg {
            subject: "second",
            ..Msg::default()
        },
    );
    assert_eq!(again, id);
    assert_eq!(
        store.index_get(id).unwrap().unwrap().entry.subject,
        "second"
    );
    assert_eq!(
        uids(&store, "first"),
        Vec::<u32>::new(),
        "the old text left the index"
    );
    assert_eq!(uids(&store, "second"), vec![1]);
    let rows = store.index_rows_of("work", "INBOX").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id, rows[0].uid, rows[0].uid_validity), (id, 1, 7));
}

#[test]
fn words_phrases_prefixes_and_diacritics() {
    let (_d, store) = store();
    corpus(&store);
    assert_eq!(
        uids(&store, "cafe"),
        vec![2, 1],
        "newest first; café folds to cafe"
    );
    assert_eq!(uids(&store, "café"), vec![2, 1]);
    assert_eq!(uids(&store, "\"the cafe near\""), vec![2]);
    assert_eq!(uids(&store, "warr*"), vec![1]);
    assert_eq!(uids(&store, "quarterly report"), vec![1]);
    assert_eq!(uids(&store, "встреча"), vec![5]);
    assert_eq!(uids(&store, "会議"), vec![3]);
    assert_eq!(uids(&store, "東京"), vec![3]);
    assert_eq!(uids(&store, "会"), vec![3]);
}

#[test]
fn fields_folders_flags_dates_sizes() {
    let (_d, store) = store();
    corpus(&store);
    assert_eq!(uids(&store, "from:carol"), vec![2]);
    assert_eq!(uids(&store, "subject:invoice"), vec![4]);
    assert_eq!(uids(&store, "filename:invoice"), vec![4]);
    assert_eq!(uids(&store, "has:attachment"), vec![4]);
    assert_eq!(uids(&store, "in:\"Work/Q1 Plans\""), vec![3]);
    assert_eq!(uids(&store, "in:inbox is:unread"), vec![5, 2]);
    assert_eq!(uids(&store, "is:flagged"), vec![3]);
    assert_eq!(uids(&store, "is:answered"), vec![4]);
    assert_eq!(uids(&store, "is:read"), vec![3, 1, 4]);
    assert_eq!(uids(&store, "before:2024-03-02"), vec![1, 4]);
    assert_eq!(uids(&store, "after:2024-03-03"), vec![5, 3]);
    assert_eq!(uids(&store, "older_than:1m"), vec![4]);
    assert_eq!(uids(&store, "larger:1M"), vec![4]);
    assert_eq!(uids(&store, "smaller:10K"), vec![5, 3, 1]);
}

#[test]
fn boolean_operators() {
    let (_d, store) = store();
    corpus(&store);
    assert_eq!(uids(&store, "cafe -warrant"), vec![2]);
    assert_eq!(uids(&store, "lunch OR invoice"), vec![2, 4]);
    assert_eq!(uids(&store, "NOT (cafe OR invoice) in:INBOX"), vec![5]);
    assert_eq!(
        uids(&store, "(cafe AND from:carol) OR has:attachment"),
        vec![2, 4]
    );
}

#[test]
fn user_text_cannot_inject_fts5_syntax() {
    let (_d, store) = store();
    corpus(&store);
    for hostile in [
        "NEAR(cafe warrant)",
        "body:cafe",
        "\"a\"\"b\"",
        "^cafe",
        "cafe*\"",
        "{subject}:x",
        "x'); DROP TABLE messages; --",
    ] {
        // Either a clean parse error or a search that runs.
        if let Ok(q) = parse(hostile, MARCH) {
            store.index_search(&q, 10).unwrap();
        }
    }
    assert_eq!(uids(&store, "cafe").len(), 2, "the table is still there");
}

#[test]
fn snippets_mark_the_match() {
    let (_d, store) = store();
    corpus(&store);
    let q = parse("warrant", MARCH).unwrap();
    let hits = store.index_search(&q, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].snippet.contains("[Warrant]"), "{}", hits[0].snippet);
    let q = parse("is:flagged", MARCH).unwrap();
    let hits = store.index_search(&q, 10).unwrap();
    assert!(hits[0].snippet.starts_with("明日"), "{}", hits[0].snippet);
}

#[test]
fn only_genuine_messages_are_searched() {
    let (_d, store) = store();
    corpus(&store);
    let forged = NewEntry {
        entry: IndexEntry {
            place: Some(CopyPlace {
                account: "work".into(),
                folder: "INBOX".into(),
                uid_validity: 7,
                uid: 99,
            }),
            trust: Some(Trust::Unverified),
            subject: "cafe".into(),
            ..IndexEntry::default()
        },
        body: "cafe".into(),
    };
    store.index_put(&forged, None).unwrap();
    assert_eq!(uids(&store, "cafe"), vec![2, 1]);
    let listed = store.index_list(Some("work"), &[]).unwrap();
    assert!(
        listed
            .iter()
            .any(|m| m.entry.trust == Some(Trust::Unverified))
    );
}

#[test]
fn the_body_cache_keeps_the_most_recently_used_within_its_bound() {
    let (_d, store) = store();
    store.set_setting(BODY_CACHE_SETTING, "250").unwrap();
    let big = "x".repeat(100);
    let a = put(
        &store,
        Msg {
            uid: 1,
            body: &big,
            ..Msg::default()
        },
    );
    let b = put(
        &store,
        Msg {
            uid: 2,
            body: &big,
            ..Msg::default()
        },
    );
    assert!(store.cached_body(a).unwrap().is_some());
    assert!(store.cached_body(b).unwrap().is_some());
    // A third body: the cache would hold 300 bytes; the oldest goes.
    store
        .conn()
        .execute(
            "UPDATE bodies SET used_at = used_at - 10 WHERE id = ?1",
            [a],
        )
        .unwrap();
    let c = put(
        &store,
        Msg {
            uid: 3,
            body: &big,
            ..Msg::default()
        },
    );
    assert!(store.cached_body(a).unwrap().is_none());
    assert!(store.cached_body(b).unwrap().is_some());
    assert!(store.cached_body(c).unwrap().is_some());
    // Removing a row drops its body with it.
    store.index_remove(&[b]).unwrap();
    assert!(store.index_get(b).unwrap().is_none());
    assert!(store.cached_body(b).unwrap().is_none());
}

/// A database as the previous builds left it: migrated to `version`, with
/// an account and (from schema 3) a journal row.
fn database_at(
    version: u32,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    coffer_core::VaultKeys,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let keys = MasterSecret::from_bytes(&mut [4; 32]).derive().unwrap();
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    crate::store::key_connection_for_tests(&conn, keys.database_key()).unwrap();
    crate::migrations::migrate_to(&mut conn, version).unwrap();
    conn.execute(
        "INSERT INTO accounts (name, imap_host, username, password, ca_file) \
         VALUES ('a', 'h', 'u', 'p', '/etc/ca.pem')",
        [],
    )
    .unwrap();
    (dir, path, keys)
}

#[test]
fn a_schema_3_database_gains_the_index_and_keeps_its_journal() {
    let (_d, path, keys) = database_at(3);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::key_connection_for_tests(&conn, keys.database_key()).unwrap();
        conn.execute(
            "INSERT INTO seal_journal (account, folder, uid_validity, uid) VALUES ('a', 'INBOX', 1, 1)",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path, keys.database_key()).unwrap();
    assert_eq!(store.schema_version().unwrap(), crate::migrations::LATEST);
    assert_eq!(store.journal_rows("a", "INBOX").unwrap().len(), 1);
    put(
        &store,
        Msg {
            subject: "after the upgrade",
            ..Msg::default()
        },
    );
    assert_eq!(uids(&store, "upgrade"), vec![1]);
}

#[test]
fn a_schema_4_account_gains_an_empty_kept_ca() {
    let (_d, path, keys) = database_at(4);
    let store = Store::open(&path, keys.database_key()).unwrap();
    let a = store.account("a").unwrap().unwrap();
    assert_eq!(a.ca_file.as_deref(), Some("/etc/ca.pem"));
    assert!(
        a.ca_pem.is_empty(),
        "accounts from before keep reading their file"
    );
}

#[test]
fn folders_count_unread_and_pages_come_newest_first() {
    let (_dir, store) = store();
    for uid in 1..=5 {
        let flags: &[&str] = if uid % 2 == 0 { &["\\Seen"] } else { &[] };
        put(
            &store,
            Msg {
                uid,
                subject: "s",
                flags,
                date: MARCH + i64::from(uid) * DAY,
                ..Msg::default()
            },
        );
    }
    put(
        &store,
        Msg {
            folder: "Archive",
            uid: 9,
            flags: &["\\Seen", "\\Flagged"],
            ..Msg::default()
        },
    );
    let counts = store.folder_counts().unwrap();
    let got: Vec<_> = counts
        .iter()
        .map(|c| (c.folder.as_str(), c.total, c.unread))
        .collect();
    assert_eq!(got, [("Archive", 1, 0), ("INBOX", 5, 3)]);

    let (total, page) = store.folder_page("work", "INBOX", 1, 2).unwrap();
    assert_eq!(total, 5);
    let dates: Vec<_> = page.iter().map(|r| r.date).collect();
    assert_eq!(dates, [MARCH + 4 * DAY, MARCH + 3 * DAY]);
    assert_eq!(page[0].flags, ["\\Seen"]);
    assert_eq!(page[0].trust, Some(Trust::Genuine));
    assert_eq!(store.folder_page("work", "INBOX", 5, 10).unwrap().1, []);

    // The rows here share one conversation key: one row, the newest.
    let (threads, rows) = store.folder_thread_page("work", "INBOX", 0, 10).unwrap();
    assert_eq!(threads, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].thread_size, rows[0].date), (5, MARCH + 5 * DAY));
}
