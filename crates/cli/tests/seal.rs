//! `coffer account …` and `coffer seal` through the binary against a real
//! Dovecot: exit statuses, JSON summaries, dry runs, and a password that
//! never reaches a file outside the encrypted database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coffer_harness::{MailServer, PASSWORD, TestVault, USER};
use support::{code, text};

mod support;

/// The shared fixture (a vault, a server, no account yet: these tests add
/// it through the binary), with the binary on it.
struct Place(TestVault);

impl std::ops::Deref for Place {
    type Target = TestVault;
    fn deref(&self) -> &TestVault {
        &self.0
    }
}

impl Place {
    fn new(server: MailServer) -> Self {
        Self(TestVault::builder().started(server).no_account().build())
    }

    fn vault(&self) -> PathBuf {
        self.dir()
    }

    fn coffer(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn command(&self) -> Command {
        self.0.command(Path::new(env!("CARGO_BIN_EXE_coffer")))
    }

    fn add_account(&self, name: &str) -> Output {
        let args = self.account_add_args(name);
        self.command().args(args).output().unwrap()
    }

    fn put(&self, n: usize, flags: &[&str]) {
        let eml = format!("Subject: secret {n}\r\nFrom: a@example.org\r\n\r\nbody {n}\r\n");
        self.server
            .append(
                USER,
                PASSWORD,
                "INBOX",
                eml.as_bytes(),
                flags,
                Some("01-Feb-2024 10:00:00 +0000"),
            )
            .unwrap();
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn accounts_add_list_test_remove_and_the_password_stays_in_the_database() {
    let p = Place::new(MailServer::start().unwrap());
    let out = p.add_account("mail");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let again = p.add_account("mail");
    assert_eq!(code(&again), 1, "{}", text(&again));
    assert!(text(&again).contains("already exists"));

    let list = p.coffer(&["account", "list", "--json"]);
    assert_eq!(code(&list), 0, "{}", text(&list));
    let accounts = json(&list);
    assert_eq!(accounts[0]["name"], "mail");
    assert_eq!(accounts[0]["username"], USER);
    assert!(!text(&list).contains(PASSWORD));

    let test = p.coffer(&["account", "test", "mail"]);
    assert_eq!(code(&test), 0, "{}", text(&test));
    let said = text(&test);
    assert!(
        said.contains(
            "UIDPLUS              yes  deletion path: originals are removed with UID EXPUNGE"
        ),
        "{said}"
    );
    assert!(said.contains("Gmail (X-GM-EXT-1)   no"), "{said}");
    assert!(
        said.contains("IDLE                 yes  watch hears of new mail"),
        "{said}"
    );
    assert!(said.contains("MULTIAPPEND          yes"), "{said}");
    assert!(said.contains("INBOX"));
    let report = json(&p.coffer(&["account", "test", "mail", "--json"]));
    assert_eq!(report["report"][1]["capability"], "UIDPLUS", "{report:#}");
    assert_eq!(report["report"][1]["offered"], true);

    // The password is in no file of the vault directory (the database is
    // encrypted), nor in any output.
    assert_eq!(
        support::files_containing(&p.vault(), PASSWORD.as_bytes()),
        Vec::<PathBuf>::new()
    );

    assert_eq!(code(&p.coffer(&["account", "remove", "mail"])), 0);
    let gone = p.coffer(&["account", "remove", "mail"]);
    assert_eq!(code(&gone), 1, "{}", text(&gone));
    assert!(text(&gone).contains("no account named"));
}

#[test]
fn seal_dry_run_then_seal_then_rerun() {
    let p = Place::new(MailServer::start().unwrap());
    assert_eq!(code(&p.add_account("mail")), 0);
    for n in 0..5 {
        p.put(n, if n % 2 == 0 { &["\\Seen"] } else { &[] });
    }
    let before = p.server.mailbox_contents(USER, "INBOX").unwrap();

    let dry = p.coffer(&["seal", "--dry-run"]);
    assert_eq!(code(&dry), 0, "{}", text(&dry));
    assert!(
        text(&dry).contains("would seal 5 message(s)"),
        "{}",
        text(&dry)
    );
    assert_eq!(p.server.mailbox_contents(USER, "INBOX").unwrap(), before);

    let run = p.coffer(&["seal", "--account", "mail", "--json"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    let summary = json(&run);
    assert_eq!(summary["sealed"], 5);
    assert_eq!(summary["folders"]["INBOX"]["sealed"], 5);
    let after = p.server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(after.len(), 5);
    assert!(
        after
            .iter()
            .all(|m| m.bytes.starts_with(b"From: Coffer <sealed@coffer.invalid>"))
    );

    let rerun = p.coffer(&["seal"]);
    assert_eq!(code(&rerun), 0, "{}", text(&rerun));
    assert!(
        text(&rerun).contains("sealed 0 message(s)"),
        "{}",
        text(&rerun)
    );
    assert!(
        text(&rerun).contains("5 already sealed"),
        "{}",
        text(&rerun)
    );
    assert_eq!(p.server.mailbox_contents(USER, "INBOX").unwrap(), after);

    let unknown = p.coffer(&["seal", "--folder", "Nope"]);
    assert_eq!(code(&unknown), 1, "{}", text(&unknown));
    assert!(
        text(&unknown).contains("[bad_request]"),
        "{}",
        text(&unknown)
    );
}

#[test]
fn seal_without_uidplus_or_move_warns_and_exits_1() {
    let p = Place::new(
        MailServer::builder()
            .without_capabilities(&["UIDPLUS", "MOVE"])
            .start()
            .unwrap(),
    );
    assert_eq!(code(&p.add_account("mail")), 0);
    p.put(1, &[]);
    let run = p.coffer(&["seal", "--json"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(
        text(&run).contains("supports neither UIDPLUS nor MOVE"),
        "{}",
        text(&run)
    );
    assert_eq!(json(&run)["kept_originals"], 1);
    assert_eq!(json(&run)["deletion"], "keep");
    assert_eq!(p.server.mailbox_contents(USER, "INBOX").unwrap().len(), 2);
}

/// Without UIDPLUS but with MOVE, verified originals go by way of Coffer's
/// own folder and are removed there; whatever another client put in that
/// folder is moved back out, never removed; another client's `\Deleted`
/// mail elsewhere is untouched by any expunge. The server's own record of
/// the commands shows no `UID EXPUNGE`, no reliance on APPENDUID, and a
/// bare `EXPUNGE` only in Coffer's folder.
#[test]
fn seal_without_uidplus_moves_originals_to_coffers_folder_and_removes_them_there() {
    let p = Place::new(
        MailServer::builder()
            .without_capabilities(&["UIDPLUS"])
            .command_log()
            .start()
            .unwrap(),
    );
    assert_eq!(code(&p.add_account("mail")), 0);
    for n in 0..4 {
        p.put(n, &["\\Seen"]);
    }
    // Two identical originals: each gets its own copy, each goes once.
    p.put(9, &[]);
    p.put(9, &[]);
    // Another client left a message in Coffer's folder, marked \Deleted.
    p.server.create_folder(USER, "Coffer Purge").unwrap();
    let stranger = b"Subject: not Coffer's\r\nFrom: x@example.org\r\n\r\nkeep me\r\n";
    p.server
        .append(
            USER,
            PASSWORD,
            "Coffer Purge",
            stranger,
            &["\\Deleted"],
            None,
        )
        .unwrap();

    let test = text(&p.coffer(&["account", "test", "mail"]));
    assert!(
        test.contains(
            "UIDPLUS              no   deletion path: the server lacks UIDPLUS but has MOVE"
        ),
        "{test}"
    );
    let run = p.coffer(&["seal", "--json"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    let summary = json(&run);
    assert_eq!(summary["deletion"], "move_to_purge", "{summary:#}");
    // The stranger went back to INBOX and was sealed there like any message.
    assert_eq!(summary["sealed"], 7, "{summary:#}");
    assert!(text(&run).contains("moved back out"), "{}", text(&run));
    let inbox = p.server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(inbox.len(), 7);
    for m in &inbox {
        let t = String::from_utf8_lossy(&m.bytes);
        assert!(t.contains("X-Coffer-Seal: "), "plaintext left: {t}");
    }
    // The stranger's \Deleted is carried to its copy (that client's call).
    assert_eq!(
        inbox
            .iter()
            .filter(|m| m.flags.iter().any(|f| f == "\\Deleted"))
            .count(),
        1
    );
    assert!(
        p.server
            .mailbox_contents(USER, "Coffer Purge")
            .unwrap()
            .is_empty()
    );
    let hits = p.coffer(&["search", "--json", "keep me"]);
    assert_eq!(json(&hits).as_array().unwrap().len(), 1, "{}", text(&hits));

    let sessions = p.server.imap_sessions().unwrap();
    let lines: Vec<&String> = sessions.iter().flatten().collect();
    assert!(!lines.is_empty());
    assert!(
        !lines
            .iter()
            .any(|l| l.to_ascii_uppercase().contains(" UID EXPUNGE")),
        "UID EXPUNGE sent: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("UID SEARCH HEADER \"X-Coffer-Seal-Id\"")),
        "copies were not found by their seal id (APPENDUID relied on?): {lines:#?}"
    );
    for session in &sessions {
        let mut selected = "";
        for l in session {
            if let Some(folder) = l.split_once(" SELECT ").map(|(_, f)| f) {
                selected = folder;
            }
            if l.ends_with(" EXPUNGE") && !l.contains(" UID ") {
                assert_eq!(selected, "\"Coffer Purge\"", "bare EXPUNGE in {selected}");
            }
        }
    }
    assert!(lines.iter().any(|l| l.ends_with(" EXPUNGE")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" UID MOVE ") && l.ends_with(" \"Coffer Purge\"")),
        "{lines:#?}"
    );

    // Nothing left to do; the folder stays empty.
    let again = p.coffer(&["seal", "--json"]);
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert_eq!(json(&again)["sealed"], 0);
    assert_eq!(json(&again)["already_sealed"], 7);
}

#[test]
fn seal_needs_an_account() {
    let p = Place::new(MailServer::start().unwrap());
    let run = p.coffer(&["seal"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(text(&run).contains("coffer account add"), "{}", text(&run));
}
