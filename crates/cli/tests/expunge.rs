//! `coffer seal` against a server whose `UID EXPUNGE` removes every
//! `\Deleted` message (Dovecot behind the rewriting proxy): the run says so
//! and fails, the account remembers it, later runs keep their originals,
//! and `coffer account allow-expunge` lifts it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Output;

use coffer_harness::rewrite::RewriteProxy;
use coffer_harness::{MailServer, PASSWORD, USER};
use support::{code, s, text};

mod support;

fn put(server: &MailServer, n: usize, flags: &[&str]) {
    let eml = format!("Subject: secret {n}\r\nFrom: a@example.org\r\n\r\nbody {n}\r\n");
    server
        .append(USER, PASSWORD, "INBOX", eml.as_bytes(), flags, None)
        .unwrap();
}

#[test]
fn a_server_that_expunges_too_much_is_caught_remembered_and_allowed_again() {
    let server = MailServer::start().unwrap();
    let proxy = RewriteProxy::start(server.imap_port()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (pass, pw, vault) = (
        tmp.path().join("pass"),
        tmp.path().join("imap-pw"),
        tmp.path().join("vault"),
    );
    std::fs::write(&pass, "vault pass\n").unwrap();
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let coffer = |args: &[&str]| -> Output {
        support::coffer()
            .args(["--vault", s(&vault), "--passphrase-file", s(&pass)])
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(code(&coffer(&["init"])), 0);
    let imap = format!("127.0.0.1:{}", proxy.port());
    let add = coffer(&[
        "account",
        "add",
        "mail",
        "--imap",
        &imap,
        "--user",
        USER,
        "--password-file",
        s(&pw),
        "--insecure-loopback",
    ]);
    assert_eq!(code(&add), 0, "{}", text(&add));
    put(&server, 1, &[]);
    put(&server, 2, &["\\Deleted"]);
    proxy.on_command(|line| {
        let at = line.find(" UID EXPUNGE ")?;
        Some(format!("{} EXPUNGE", &line[..at]))
    });

    let run = coffer(&["seal"]);
    assert_eq!(code(&run), 2, "{}", text(&run));
    assert!(text(&run).contains("bare EXPUNGE"), "{}", text(&run));
    assert!(
        text(&run).contains("coffer account allow-expunge mail"),
        "{}",
        text(&run)
    );

    // The next run keeps its original and says why; nothing is expunged.
    put(&server, 3, &[]);
    proxy.forget_commands();
    let run = coffer(&["seal"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(text(&run).contains("expunging is off"), "{}", text(&run));
    assert!(!proxy.commands().iter().any(|c| c.contains("EXPUNGE")));
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap().len(), 3);

    let allow = coffer(&["account", "allow-expunge", "mail"]);
    assert_eq!(code(&allow), 0, "{}", text(&allow));
    assert!(text(&allow).contains("again"), "{}", text(&allow));
    let allow = coffer(&["account", "allow-expunge", "mail"]);
    assert!(text(&allow).contains("not off"), "{}", text(&allow));

    proxy.clear();
    let run = coffer(&["seal"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap().len(), 2);
}
