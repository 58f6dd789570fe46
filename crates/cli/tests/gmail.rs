//! A Gmail account (the server announces `X-GM-EXT-1`) is refused, clearly,
//! before anything changes: on Gmail, removing a message from a folder only
//! removes a label and the plaintext stays in All Mail, so sealing would
//! look done while the provider kept everything readable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use coffer_harness::{MailServer, PASSWORD, USER};
use support::{code, text};

mod support;

#[test]
fn sealing_and_watching_a_gmail_account_is_refused_and_changes_nothing() {
    let server = MailServer::builder()
        .dovecot_config("imap_capability = +X-GM-EXT-1")
        .start()
        .unwrap();
    let eml = b"From: a@example.org\r\nSubject: private\r\n\r\nThe plaintext.\r\n";
    server
        .append(USER, PASSWORD, "INBOX", eml, &[], None)
        .unwrap();
    let before = server.mailbox_contents(USER, "INBOX").unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "pass\n").unwrap();
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let vault = tmp.path().join("v");
    let coffer = |args: &[&str]| {
        support::coffer()
            .arg("--vault")
            .arg(&vault)
            .arg("--passphrase-file")
            .arg(&pass)
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(code(&coffer(&["init"])), 0);
    let add = support::account_add("gmail", &server, &pw);
    let out = coffer(&add.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 0, "{}", text(&out));

    for args in [&["seal"][..], &["seal", "--dry-run"]] {
        let out = coffer(args);
        let said = text(&out);
        assert_eq!(code(&out), 1, "{args:?}: {said}");
        for needle in ["Gmail", "All Mail", "docs/PROVIDERS.md", "not_supported"] {
            assert!(
                said.contains(needle),
                "{args:?}: {needle:?} missing: {said}"
            );
        }
    }
    // watch ends with the same reason instead of retrying forever.
    let started = Instant::now();
    let out = coffer(&["watch"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("Gmail"), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(server.mailbox_contents(USER, "INBOX").unwrap(), before);
}
