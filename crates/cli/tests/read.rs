//! Reading what was sealed, through the `coffer` binary against a real
//! Dovecot: search, show, export, mark — and the lost-laptop story: a second
//! device recovers the vault, rebuilds its index from the server and answers
//! every query as the first does; flags changed on one reach the other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER};
use serde_json::Value;
use support::{code, s, text};

mod support;

/// One device: a vault directory with its passphrase, and the account.
struct Device {
    dir: PathBuf,
    pass: PathBuf,
}

impl Device {
    fn coffer(&self, args: &[&str]) -> Output {
        support::coffer()
            .arg("--vault")
            .arg(&self.dir)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.coffer(args);
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.ok(args).stdout).unwrap()
    }

    fn add_account(&self, server: &MailServer, tmp: &Path) {
        let pw = tmp.join("imap-pw");
        std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
        let args = support::account_add("mail", server, &pw);
        self.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// A new vault in a temporary directory, with the server's account.
    fn with_account(server: &MailServer) -> (tempfile::TempDir, Device) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("pass"), "pass\n").unwrap();
        let dev = Device {
            dir: tmp.path().join("v"),
            pass: tmp.path().join("pass"),
        };
        dev.ok(&["init"]);
        dev.add_account(server, tmp.path());
        (tmp, dev)
    }

    /// Search results without the device-local ids.
    fn answers(&self, query: &str) -> Value {
        let mut v = self.json(&["search", "--json", "--limit", "500", query]);
        for hit in v.as_array_mut().unwrap() {
            hit.as_object_mut().unwrap().remove("id");
        }
        v
    }
}

fn eml(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\r\n\r\n{body}").into_bytes()
}

/// A mailbox of several folders, with the odd messages real mail has.
fn mail() -> Vec<(&'static str, Vec<u8>, &'static [&'static str], &'static str)> {
    let d = DOMAIN;
    vec![
        (
            "INBOX",
            eml(
                &format!(
                    "From: Bob <bob@{d}>\r\nTo: Alice <alice@{d}>\r\nSubject: Quarterly report\r\nMessage-ID: <q1@{d}>\r\nDate: Thu, 01 Feb 2024 10:00:00 +0000"
                ),
                "The café opens at nine.\r\nThe warrant is attached.\r\nFrom the desk of Bob\r\n",
            ),
            &["\\Seen"],
            "01-Feb-2024 10:00:00 +0000",
        ),
        (
            "INBOX",
            eml(
                &format!(
                    "From: Carol <carol@{d}>\r\nTo: Alice <alice@{d}>\r\nSubject: Re: Quarterly report\r\nMessage-ID: <q2@{d}>\r\nIn-Reply-To: <q1@{d}>\r\nReferences: <q1@{d}>\r\nDate: Fri, 02 Feb 2024 10:00:00 +0000"
                ),
                "> The café opens at nine.\r\nLunch at the cafe then?\r\n",
            ),
            &[],
            "02-Feb-2024 10:00:00 +0000",
        ),
        (
            "INBOX",
            eml(
                &format!(
                    "From: =?UTF-8?B?5bGx55Sw?= <yamada@{d}>\r\nTo: alice@{d}\r\nSubject: =?UTF-8?B?5Lya6K2w44Gu5LqI5a6a?=\r\nMessage-ID: <jp@{d}>\r\nDate: Sat, 03 Feb 2024 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
                ),
                "明日の午後に東京で会議があります\r\n",
            ),
            &["\\Seen", "\\Flagged"],
            "03-Feb-2024 10:00:00 +0000",
        ),
        (
            "Work/Q1",
            eml(
                &format!(
                    "From: Dave <dave@{d}>\r\nTo: Alice <alice@{d}>\r\nSubject: Invoice\r\nMessage-ID: <inv@{d}>\r\nDate: Sun, 04 Feb 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\""
                ),
                "--XX\r\nContent-Type: text/plain\r\n\r\nPlease find the invoice.\r\n--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n",
            ),
            &["\\Answered", "\\Seen"],
            "04-Feb-2024 10:00:00 +0000",
        ),
        (
            "Work/Q1",
            eml(
                &format!(
                    "From: Eve <eve@{d}>\r\nTo: Alice <alice@{d}>\r\nSubject: Newsletter\r\nMessage-ID: <news@{d}>\r\nDate: Mon, 05 Feb 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8"
                ),
                "<html><body><h1>Spring sale</h1><p>Discounts on <b>umbrellas</b></p><img src=\"http://tracker.example/x.png\"></body></html>\r\n",
            ),
            &[],
            "05-Feb-2024 10:00:00 +0000",
        ),
        (
            "Archiv/Ünïcode",
            eml(
                &format!(
                    "From: Фёдор <fyodor@{d}>\r\nTo: Alice <alice@{d}>\r\nSubject: =?UTF-8?B?0JLRgdGC0YDQtdGH0LA=?=\r\nMessage-ID: <ru@{d}>\r\nDate: Tue, 06 Feb 2024 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
                ),
                "Завтра встреча в офисе\r\n",
            ),
            &["\\Seen"],
            "06-Feb-2024 10:00:00 +0000",
        ),
        (
            "Archiv/Ünïcode",
            eml(
                &format!(
                    "From: broken@{d}\r\nSubject: Br\u{f6}ken\r\nDate: Wed, 07 Feb 2024 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=\"never-closed\""
                ),
                "--never-closed\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nzebra crossing, an orphan part\r\n",
            ),
            &[],
            "07-Feb-2024 10:00:00 +0000",
        ),
    ]
}

/// The recovery key `coffer init` printed.
fn recovery_key(init: &Output) -> String {
    let out = String::from_utf8_lossy(&init.stdout);
    let mut lines = out.lines();
    lines.find(|l| l.starts_with("Your recovery key"));
    lines
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_owned()
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

const QUERIES: &[&str] = &[
    "cafe",
    "café",
    "\"the cafe\"",
    "warr*",
    "from:carol",
    "to:alice",
    "subject:invoice",
    "filename:rechnung",
    "has:attachment",
    "in:INBOX",
    "in:\"Archiv/Ünïcode\"",
    "is:unread",
    "is:flagged",
    "is:answered",
    "before:2024-02-03",
    "after:2024-02-05",
    "larger:300",
    "会議",
    "встреча",
    "umbrellas",
    "cafe -lunch",
    "lunch OR invoice",
    "NOT in:INBOX",
    "zebra",
];

#[test]
fn sealed_mail_is_read_searched_exported_and_survives_a_lost_laptop() {
    let server = MailServer::start().unwrap();
    for folder in ["Work/Q1", "Archiv/Ünïcode"] {
        server.create_folder(USER, folder).unwrap();
    }
    for (folder, bytes, flags, date) in mail() {
        server
            .append(USER, PASSWORD, folder, &bytes, flags, Some(date))
            .unwrap();
    }
    let mut originals: BTreeMap<Vec<u8>, (String, i64)> = BTreeMap::new();
    for folder in ["INBOX", "Work/Q1", "Archiv/Ünïcode"] {
        for m in server.mailbox_contents(USER, folder).unwrap() {
            originals.insert(m.bytes, (folder.to_owned(), m.internaldate));
        }
    }
    assert_eq!(originals.len(), 7);

    // Device 1 seals the mailbox; everything it sealed is in its index.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pass1"), "first device\n").unwrap();
    let one = Device {
        dir: tmp.path().join("one"),
        pass: tmp.path().join("pass1"),
    };
    let init = one.ok(&["init"]);
    let key = recovery_key(&init);
    one.add_account(&server, tmp.path());
    one.ok(&["seal"]);

    let all = one.json(&["search", "--json", "after:1970-01-02"]);
    assert_eq!(all.as_array().unwrap().len(), 7, "{all:#}");
    let first = &all[0];
    for field in [
        "id",
        "account",
        "folder",
        "date",
        "from",
        "to",
        "subject",
        "flags",
        "snippet",
        "attachments",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first:#}");
    }
    assert_eq!(first["subject"], "Br\u{f6}ken", "newest first: {first:#}");
    let cafe = one.json(&["search", "--json", "café"]);
    assert_eq!(cafe.as_array().unwrap().len(), 2);
    assert!(
        cafe[0]["snippet"].as_str().unwrap().contains("[cafe]"),
        "{cafe:#}"
    );
    let jp = one.json(&["search", "--json", "会議"]);
    assert_eq!(jp[0]["subject"], "会議の予定");
    let invoice = one.json(&["search", "--json", "has:attachment"]);
    assert_eq!(invoice[0]["attachments"][0], "Rechnung März.pdf");
    // The attachment's decoded bytes, as the app's Save writes them.
    let pdf = one.ok(&["show", &invoice[0]["id"].to_string(), "--attachment", "0"]);
    assert_eq!(pdf.stdout, b"%PDF-1.4\n");
    let none = one.coffer(&["show", &invoice[0]["id"].to_string(), "--attachment", "5"]);
    assert_eq!(code(&none), 1, "{}", text(&none));
    // The folder list, with unread counts, as the app shows it.
    let folders = one.json(&["folders", "--json"]);
    let counts: Vec<(String, u64, u64)> = folders
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["folder"].as_str().unwrap().to_owned(),
                f["total"].as_u64().unwrap(),
                f["unread"].as_u64().unwrap(),
            )
        })
        .collect();
    let total: u64 = counts.iter().map(|c| c.1).sum();
    assert_eq!(total, 7, "{folders:#}");
    assert!(
        counts.iter().any(|c| c.0 == "Archiv/Ünïcode"),
        "{folders:#}"
    );
    // The recovery key again, with the passphrase: the one init showed.
    let again = one.ok(&["recovery-key"]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), key);
    // A word starting with - is a query term, not an option.
    let not_lunch = one.json(&["search", "--json", "cafe", "-lunch"]);
    assert_eq!(not_lunch.as_array().unwrap().len(), 1);
    // Threads: the reply sits with its original.
    let threads = one.json(&["search", "--json", "--threads", "quarterly"]);
    assert_eq!(threads.as_array().unwrap().len(), 1, "{threads:#}");
    assert_eq!(threads[0]["messages"].as_array().unwrap().len(), 2);
    // A malformed query is a clear error, never an SQL one.
    let bad = one.coffer(&["search", "(cafe"]);
    assert_eq!(code(&bad), 1, "{}", text(&bad));
    assert!(text(&bad).contains("position"), "{}", text(&bad));
    assert!(!text(&bad).to_lowercase().contains("sql"), "{}", text(&bad));

    // show --raw gives each original back exactly; show gives its text.
    for hit in all.as_array().unwrap() {
        let id = hit["id"].to_string();
        let raw = one.ok(&["show", &id, "--raw"]).stdout;
        assert!(
            originals.contains_key(&raw),
            "show --raw {id} is not an original"
        );
    }
    let html_id = one.json(&["search", "--json", "umbrellas"])[0]["id"].to_string();
    let shown = String::from_utf8(one.ok(&["show", &html_id]).stdout).unwrap();
    assert!(shown.contains("umbrellas"), "{shown}");
    assert!(shown.contains("sealed by this vault, verified"), "{shown}");
    let html = String::from_utf8(one.ok(&["show", &html_id, "--html"]).stdout).unwrap();
    assert!(html.contains("<b>umbrellas</b>"), "{html}");

    // Maildir: byte-identical originals, one tree per account, flags and dates kept.
    let maildir = tmp.path().join("maildir1");
    one.ok(&["export", "--maildir", s(&maildir)]);
    let files = tree(&maildir);
    assert_eq!(files.len(), 7);
    for (path, bytes) in &files {
        let (folder, date) = originals
            .get(bytes)
            .unwrap_or_else(|| panic!("{path} is no original"));
        assert!(path.starts_with(&format!("mail/{folder}/cur/")), "{path}");
        let mtime = std::fs::metadata(maildir.join(path))
            .unwrap()
            .modified()
            .unwrap();
        let secs = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(secs as i64, *date, "{path}");
    }
    assert!(
        files
            .keys()
            .any(|p| p.contains("Work/Q1") && p.ends_with(":2,RS")),
        "{:?}",
        files.keys()
    );
    // mbox (mboxrd): reversible; each original comes back.
    let mbox = tmp.path().join("all.mbox");
    one.ok(&["export", "--mbox", s(&mbox)]);
    let text_mbox = std::fs::read(&mbox).unwrap();
    assert!(String::from_utf8_lossy(&text_mbox).contains("\r\n>From the desk of Bob"));
    // Export never overwrites.
    let again = one.coffer(&["export", "--mbox", s(&mbox)]);
    assert_eq!(code(&again), 1, "{}", text(&again));

    // The index and the cache hold plaintext only inside SQLCipher: no file
    // of the vault holds a word of the mail.
    for canary in ["umbrellas", "warrant", "会議", "Rechnung", "zebra"] {
        for (path, bytes) in tree(&one.dir) {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} in {path}"
            );
        }
    }
    let cache = one.json(&["cache", "--json"]);
    assert_eq!(cache["messages"], 7, "{cache:#}");
    assert_eq!(cache["limit_bytes"], 2u64 << 30);

    let before: Vec<Value> = QUERIES.iter().map(|q| one.answers(q)).collect();
    assert!(
        before.iter().all(|a| !a.as_array().unwrap().is_empty()),
        "every query finds something"
    );

    // The laptop is lost. Device 2: recover, add the account, rebuild.
    std::fs::write(tmp.path().join("key"), format!("{key}\n")).unwrap();
    std::fs::write(tmp.path().join("pass2"), "second device\n").unwrap();
    let two = Device {
        dir: tmp.path().join("two"),
        pass: tmp.path().join("pass2"),
    };
    let key_file = tmp.path().join("key");
    two.ok(&["recover", "--recovery-key-file", s(&key_file)]);
    two.add_account(&server, tmp.path());
    // With no body cache, reading fetches from the server and opens.
    two.ok(&["cache", "--limit", "0"]);
    let rebuilt = two.json(&["rebuild", "--json"]);
    assert_eq!(rebuilt["indexed"], 7, "{rebuilt:#}");
    assert_eq!(two.json(&["cache", "--json"])["messages"], 0);
    let after: Vec<Value> = QUERIES.iter().map(|q| two.answers(q)).collect();
    for ((q, a), b) in QUERIES.iter().zip(&before).zip(&after) {
        assert_eq!(a, b, "query {q:?} answers differently on the second device");
    }
    let maildir2 = tmp.path().join("maildir2");
    two.ok(&["export", "--maildir", s(&maildir2)]);
    assert_eq!(tree(&maildir2), files, "the second device's export differs");
    // A second rebuild downloads nothing, and with Dovecot's CONDSTORE
    // lists no folder: every one is unchanged.
    let again = two.json(&["rebuild", "--json"]);
    assert_eq!(
        (again["indexed"].as_u64(), again["bytes"].as_u64()),
        (Some(0), Some(0)),
        "{again:#}"
    );
    assert_eq!(again["unchanged"], again["folders"], "{again:#}");
    assert!(again["folders"].as_u64() > Some(1), "{again:#}");

    // Flags changed on device 1 reach device 2 with sync.
    let unread = one.json(&["search", "--json", "lunch"]);
    let id = unread[0]["id"].to_string();
    one.ok(&["mark", &id, "--read", "--flag"]);
    let copies = server.mailbox_contents(USER, "INBOX").unwrap();
    assert!(
        copies
            .iter()
            .any(|m| m.flags.contains(&"\\Flagged".to_owned())
                && m.flags.contains(&"\\Seen".to_owned())
                && m.bytes.windows(13).any(|w| w == b"X-Coffer-Seal")),
        "the server's copy carries the flags"
    );
    // New plaintext that nobody sealed yet is counted, never mixed in.
    server
        .deliver(
            USER,
            "INBOX",
            &eml(
                &format!("From: x@{DOMAIN}\r\nSubject: unsealed"),
                "quokka\r\n",
            ),
        )
        .unwrap();
    let synced = two.json(&["sync", "--json"]);
    assert_eq!(synced["flags_changed"], 1, "{synced:#}");
    assert_eq!(synced["not_sealed"], 1, "{synced:#}");
    // INBOX changed (a flag, a delivery): listed again; the rest were not.
    assert_eq!(
        synced["unchanged"].as_u64(),
        synced["folders"].as_u64().map(|n| n - 1),
        "{synced:#}"
    );
    // Nothing changed since: nothing listed, the same counts.
    let quiet = two.json(&["sync", "--json"]);
    assert_eq!(quiet["unchanged"], quiet["folders"], "{quiet:#}");
    assert_eq!(
        (
            quiet["not_sealed"].as_u64(),
            quiet["flags_changed"].as_u64()
        ),
        (Some(1), Some(0)),
        "{quiet:#}"
    );
    assert!(
        two.json(&["search", "--json", "quokka"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        two.answers("is:flagged lunch"),
        one.answers("is:flagged lunch")
    );
    assert_eq!(two.answers("is:flagged lunch").as_array().unwrap().len(), 1);
}

#[test]
fn forged_and_truncated_seals_are_listed_never_indexed_as_mail() {
    let server = MailServer::start().unwrap();
    let (_tmp, dev) = Device::with_account(&server);
    server
        .deliver(
            USER,
            "INBOX",
            &eml(
                &format!("From: a@{DOMAIN}\r\nSubject: genuine"),
                "kept safe\r\n",
            ),
        )
        .unwrap();
    dev.ok(&["seal"]);
    let genuine = server
        .mailbox_contents(USER, "INBOX")
        .unwrap()
        .remove(0)
        .bytes;

    // A forgery to the vault's public key, and a truncated seal.
    let recipient: coffer_core::Recipient =
        dev.json(&["status", "--json"])["unlocked"]["recipient"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let forged = coffer_core::seal::testkit::forge(
        &[recipient],
        &coffer_core::SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: coffer_core::InternalDate::new(1_706_781_600, 0).unwrap(),
            original: b"Subject: forged\r\n\r\nsecret plan\r\n",
        },
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    server.deliver(USER, "INBOX", &forged).unwrap();
    server
        .deliver(USER, "INBOX", &genuine[..genuine.len() / 2])
        .unwrap();

    let summary = dev.json(&["sync", "--json"]);
    assert_eq!(summary["unverified"], 2, "{summary:#}");
    assert!(
        dev.json(&["search", "--json", "secret"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        dev.json(&["search", "--json", "kept"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn mark_move_and_delete_reach_the_sealed_copies_on_the_server() {
    let server = MailServer::start().unwrap();
    server.create_folder(USER, "Projects").unwrap();
    let (_tmp, dev) = Device::with_account(&server);
    for word in ["alpha", "bravo", "charlie"] {
        let m = eml(
            &format!("From: a@{DOMAIN}\r\nSubject: {word}"),
            &format!("{word} body\r\n"),
        );
        server.deliver(USER, "INBOX", &m).unwrap();
    }
    dev.ok(&["seal"]);
    let id_of = |word: &str| dev.json(&["search", "--json", word])[0]["id"].to_string();
    // The harness reads the server on its own (doveadm), not through coffer.
    // mark: the sealed copy's flags change on the server.
    let alpha = id_of("alpha");
    dev.ok(&["mark", &alpha, "--flag", "--read"]);
    let inbox = server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(inbox.len(), 3);
    let flagged: Vec<_> = inbox
        .iter()
        .filter(|m| m.flags.contains(&"\\Flagged".to_owned()))
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(flagged[0].flags.contains(&"\\Seen".to_owned()));
    dev.ok(&["mark", &alpha, "--unflag", "--unread"]);
    let inbox = server.mailbox_contents(USER, "INBOX").unwrap();
    assert!(
        inbox
            .iter()
            .all(|m| !m.flags.contains(&"\\Flagged".to_owned()))
    );
    assert_eq!(
        dev.json(&["search", "--json", "is:unread alpha"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // move: the copy goes to Projects; the index follows (same id).
    let bravo = id_of("bravo");
    dev.ok(&["move", &bravo, "Projects"]);
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap().len(), 2);
    assert_eq!(server.mailbox_contents(USER, "Projects").unwrap().len(), 1);
    let moved = dev.json(&["search", "--json", "in:Projects"]);
    assert_eq!(moved[0]["id"].to_string(), bravo);
    let raw = dev.ok(&["show", &bravo, "--raw"]).stdout;
    assert!(String::from_utf8_lossy(&raw).contains("bravo body"));

    // delete: to Trash; then --now removes it from the server.
    let charlie = id_of("charlie");
    dev.ok(&["delete", &charlie]);
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap().len(), 1);
    assert_eq!(server.mailbox_contents(USER, "Trash").unwrap().len(), 1);
    assert_eq!(
        dev.json(&["search", "--json", "in:Trash"])[0]["id"].to_string(),
        charlie
    );
    dev.ok(&["delete", &charlie, "--now"]);
    assert!(server.mailbox_contents(USER, "Trash").unwrap().is_empty());
    assert!(
        dev.json(&["search", "--json", "charlie"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // An id that is gone is a clear refusal.
    let out = dev.coffer(&["show", &charlie]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("no message"), "{}", text(&out));
    // Nothing else changed: alpha is where it was, sealed.
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap().len(), 1);
}

#[test]
fn moved_and_wrapped_seals_are_marked_as_such() {
    use coffer_core::seal::testkit;
    use coffer_core::{InternalDate, SealInput};

    let server = MailServer::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pass"), "pass\n").unwrap();
    let dev = Device {
        dir: tmp.path().join("v"),
        pass: tmp.path().join("pass"),
    };
    let vault = coffer_engine::Vault::create(
        &dev.dir,
        &coffer_engine::SecretString::from("pass".to_owned()),
        coffer_engine::KdfPolicy::weak_for_tests(),
    )
    .unwrap()
    .0;
    let input = |folder: &'static str, original: &'static [u8]| SealInput {
        folder,
        flags: &[],
        internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
        original,
    };
    let rng = &mut rand::rngs::OsRng;
    // A genuine seal whose manifest names another folder than where it is.
    let moved = coffer_core::seal(
        vault.keys(),
        &input("Elsewhere", b"Subject: wandered\r\n\r\nlost sheep\r\n"),
        rng,
    )
    .unwrap();
    // A genuine seal of a forgery (what sealing does with a forged seal it
    // finds): its inner seal does not verify, so nothing in it is read.
    let forged = testkit::forge(
        &[vault.keys().recipient()],
        &input("INBOX", b"Subject: inner\r\n\r\nhidden words\r\n"),
        rng,
    )
    .unwrap();
    let wrapped = coffer_core::seal(
        vault.keys(),
        &SealInput {
            original: &forged,
            ..input("INBOX", b"")
        },
        rng,
    )
    .unwrap();
    drop(vault);
    server.deliver(USER, "INBOX", &moved).unwrap();
    server.deliver(USER, "INBOX", &wrapped).unwrap();

    dev.add_account(&server, tmp.path());
    let summary = dev.json(&["rebuild", "--json"]);
    assert_eq!(
        (summary["indexed"].as_u64(), summary["wrapped"].as_u64()),
        (Some(1), Some(1)),
        "{summary:#}"
    );
    let sheep = dev.json(&["search", "--json", "sheep"]);
    assert_eq!(sheep.as_array().unwrap().len(), 1);
    let shown = String::from_utf8(dev.ok(&["show", &sheep[0]["id"].to_string()]).stdout).unwrap();
    assert!(
        shown.contains("sealed in Elsewhere and moved here"),
        "{shown}"
    );
    assert!(
        dev.json(&["search", "--json", "hidden"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        dev.json(&["search", "--json", "inner"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_interrupted_rebuild_resumes_where_it_stopped() {
    use coffer_harness::proxy::FaultProxy;

    let server = MailServer::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pass"), "pass\n").unwrap();
    let dev = Device {
        dir: tmp.path().join("v"),
        pass: tmp.path().join("pass"),
    };
    let vault = coffer_engine::Vault::create(
        &dev.dir,
        &coffer_engine::SecretString::from("pass".to_owned()),
        coffer_engine::KdfPolicy::weak_for_tests(),
    )
    .unwrap()
    .0;
    // 300 seals made elsewhere (another device of this vault), 4 KiB each.
    let corpus: Vec<coffer_harness::corpus::CorpusMessage> =
        coffer_harness::corpus::generate(300, 300 * 4096, 7)
            .into_iter()
            .map(|mut m| {
                m.bytes = coffer_core::seal(
                    vault.keys(),
                    &coffer_core::SealInput {
                        folder: "INBOX",
                        flags: &[],
                        internaldate: coffer_core::InternalDate::new(m.internaldate, 0).unwrap(),
                        original: &m.bytes,
                    },
                    &mut rand::rngs::OsRng,
                )
                .unwrap();
                m
            })
            .collect();
    drop(vault);
    let total: u64 = corpus.iter().map(|m| m.bytes.len() as u64).sum();
    server.load_inbox(USER, &corpus).unwrap();
    // The account goes through a proxy that cuts the connection midway.
    let proxy = FaultProxy::start(server.imaps_port()).unwrap();
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let imap = format!("127.0.0.1:{}", proxy.port());
    let ca = server.ca_file();
    dev.ok(&[
        "account",
        "add",
        "mail",
        "--imap",
        &imap,
        "--user",
        USER,
        "--password-file",
        s(&pw),
        "--ca-file",
        s(&ca),
    ]);
    // Cut somewhere in the middle of the downloads.
    proxy.cut_after(total / 2);
    let cut = dev.coffer(&["rebuild", "--json"]);
    assert_eq!(code(&cut), 2, "the cut is a network error: {}", text(&cut));
    assert!(text(&cut).contains("[network]"), "{}", text(&cut));
    let indexed_before = dev.json(&["search", "--json", "--limit", "1000", "NOT zzzz"]);
    let n = indexed_before.as_array().unwrap().len();
    assert!(
        n > 0 && n < 300,
        "some were indexed before the cut: {n}: {}",
        text(&cut)
    );
    proxy.unlimited();
    let resumed = dev.json(&["rebuild", "--json"]);
    assert_eq!(
        resumed["indexed"].as_u64().unwrap() as usize,
        300 - n,
        "{resumed:#}"
    );
    let all = dev.json(&["search", "--json", "--limit", "1000", "NOT zzzz"]);
    assert_eq!(all.as_array().unwrap().len(), 300);
}

#[test]
fn without_condstore_every_folder_is_listed_and_nothing_is_missed() {
    let server = MailServer::builder()
        .without_capabilities(&["CONDSTORE", "QRESYNC"])
        .start()
        .unwrap();
    for (i, folder) in ["INBOX", "INBOX", "Archive"].iter().enumerate() {
        let bytes = eml(
            &format!("From: a@{DOMAIN}\r\nSubject: wombat {i}"),
            "burrow\r\n",
        );
        server.deliver(USER, folder, &bytes).unwrap();
    }
    let (_tmp, dev) = Device::with_account(&server);
    dev.ok(&["seal"]);
    let first = dev.json(&["sync", "--json"]);
    assert_eq!(first["unchanged"], 0, "{first:#}");
    assert_eq!(first["not_sealed"], 0, "{first:#}");
    // A new message: without HIGHESTMODSEQ the folder is listed, and seen.
    server
        .deliver(
            USER,
            "Archive",
            &eml(&format!("From: b@{DOMAIN}\r\nSubject: late"), "x\r\n"),
        )
        .unwrap();
    let again = dev.json(&["sync", "--json"]);
    assert_eq!(again["unchanged"], 0, "{again:#}");
    assert_eq!(again["not_sealed"], 1, "{again:#}");
    assert_eq!(
        dev.json(&["search", "--json", "wombat"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
}
