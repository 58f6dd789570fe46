//! Each error code of `docs/CLI.md`, pinned to a case of the `coffer` command
//! that produces it: the code printed on stderr and the exit status derived
//! from it. Elsewhere: `account_busy` (tests/watch.rs, a second run while
//! `watch` holds the account), `folder_changed` (the engine's test of a
//! folder recreated mid-run), `network` after a cut (tests/read.rs), `failed`
//! (the engine's summary tests). `cancelled` needs a terminal; `server` and
//! `internal` have no case a real server produces on demand: their mapping is
//! unit-tested in crates/engine/src/error.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Output;

use coffer_harness::{MailServer, PASSWORD, USER};
use support::{code, s, text};

mod support;

struct Case {
    tmp: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        let case = Self {
            tmp: tempfile::tempdir().unwrap(),
        };
        std::fs::write(case.path("pass"), "vault pass\n").unwrap();
        std::fs::write(case.path("wrong"), "not the pass\n").unwrap();
        std::fs::write(case.path("empty"), "\n").unwrap();
        std::fs::write(case.path("imap-pw"), format!("{PASSWORD}\n")).unwrap();
        std::fs::write(case.path("bad-pw"), "nope\n").unwrap();
        case
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `coffer --vault DIR --passphrase-file PASS ARGS…` (vault `vault`,
    /// passphrase file `pass` unless `pass` names another).
    fn run(&self, pass: &str, args: &[&str]) -> Output {
        support::coffer()
            .arg("--vault")
            .arg(self.path("vault"))
            .arg("--passphrase-file")
            .arg(self.path(pass))
            .args(args)
            .output()
            .unwrap()
    }

    fn init(&self) {
        let out = self.run("pass", &["init"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
}

/// Asserts `out` failed with `code` and its exit status.
#[track_caller]
fn assert_code(out: &Output, expected: &str, status: i32) {
    let t = text(out);
    assert_eq!(code(out), status, "{expected}: {t}");
    assert!(t.contains(&format!("[{expected}]")), "{expected}: {t}");
}

/// `account add NAME` for the test user, trusting the server's private CA
/// only when `ca`.
fn account_add(server: &MailServer, name: &str, pw: &Path, ca: bool) -> Vec<String> {
    let mut args = support::account_add(name, server, pw);
    if !ca {
        let at = args.iter().position(|a| a == "--ca-file").unwrap();
        args.drain(at..at + 2);
    }
    args
}

#[test]
fn vault_codes_without_a_server() {
    let c = Case::new();
    assert_code(&c.run("pass", &["account", "list"]), "vault_missing", 1);
    assert_code(&c.run("empty", &["init"]), "passphrase_rejected", 1);
    c.init();
    assert_code(&c.run("pass", &["init"]), "vault_exists", 1);
    assert_code(&c.run("wrong", &["account", "list"]), "wrong_passphrase", 1);
    assert_code(
        &c.run("pass", &["account", "remove", "nope"]),
        "no_such_account",
        1,
    );
    assert_code(&c.run("pass", &["seal"]), "no_such_account", 1);
    assert_code(&c.run("missing-file", &["account", "list"]), "io", 2);
    std::fs::write(c.path("exists"), "x").unwrap();
    let existing = c.path("exists");
    assert_code(
        &c.run("pass", &["identity", "export", "-o", s(&existing)]),
        "would_overwrite",
        1,
    );
    assert_code(
        &c.run(
            "pass",
            &[
                "account",
                "add",
                "x",
                "--imap",
                "no-port",
                "--user",
                "u",
                "--password-file",
                s(&c.path("imap-pw")),
            ],
        ),
        "bad_request",
        1,
    );
    std::fs::write(c.path("garbage-key"), "0000-1111-2222\n").unwrap();
    let garbage = c.path("garbage-key");
    assert_code(
        &c.run("pass", &["recover", "--recovery-key-file", s(&garbage)]),
        "bad_recovery_key",
        1,
    );
    // A damaged database: the same file, flipped in the middle.
    let db = c.path("vault").join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b = !*b;
    }
    std::fs::write(&db, &bytes).unwrap();
    assert_code(&c.run("pass", &["account", "list"]), "vault_damaged", 2);
}

#[test]
fn server_codes_against_dovecot() {
    let server = MailServer::start().unwrap();
    let c = Case::new();
    c.init();
    let (pw, bad) = (c.path("imap-pw"), c.path("bad-pw"));
    let add = |name: &str, pw: &Path, ca: bool| {
        let args = account_add(&server, name, pw, ca);
        c.run("pass", &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(code(&add("good", &pw, true)), 0);
    assert_code(&add("good", &pw, true), "account_exists", 1);
    assert_eq!(code(&add("badpw", &bad, true)), 0);
    assert_eq!(code(&add("noca", &pw, false)), 0);
    assert_code(
        &c.run("pass", &["account", "test", "badpw"]),
        "login_refused",
        2,
    );
    assert_code(
        &c.run("pass", &["account", "test", "noca"]),
        "certificate_untrusted",
        2,
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = c.run(
        "pass",
        &[
            "account",
            "add",
            "closed",
            "--imap",
            &format!("127.0.0.1:{port}"),
            "--user",
            USER,
            "--password-file",
            s(&pw),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_code(&c.run("pass", &["account", "test", "closed"]), "network", 2);

    // A message over the size limit is left as it is: incomplete.
    server
        .deliver(
            USER,
            "INBOX",
            b"Subject: big\r\n\r\nlarger than ten bytes\r\n",
        )
        .unwrap();
    let out = c.run(
        "pass",
        &["seal", "--account", "good", "--max-message-size", "10"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        !text(&out).contains("error:"),
        "a result, not an error: {}",
        text(&out)
    );

    // The keyless audit of a mailbox holding plaintext: not_clean, exit 1.
    let out = support::coffer()
        .args(["audit", "--imap"])
        .arg(format!("{}:{}", server.host(), server.imaps_port()))
        .args(["--user", USER, "--password-file", s(&pw), "--ca-file"])
        .arg(server.ca_file())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("NOT CLEAN"), "{}", text(&out));
}

#[test]
fn the_extra_ca_is_kept_in_the_vault_when_the_account_is_added() {
    let server = MailServer::start().unwrap();
    let c = Case::new();
    c.init();
    let ca = c.path("ca.pem");
    std::fs::copy(server.ca_file(), &ca).unwrap();
    let mut args = support::account_add("mail", &server, &c.path("imap-pw"));
    let at = args.iter().position(|a| a == "--ca-file").unwrap();
    args[at + 1] = s(&ca).to_owned();
    let out = c.run("pass", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Whoever can write the file later changes nothing: replaced, then gone.
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nnot a certificate\n").unwrap();
    let out = c.run("pass", &["account", "test", "mail"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    std::fs::remove_file(&ca).unwrap();
    let out = c.run("pass", &["account", "test", "mail"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A file that holds no certificate is refused when the account is added.
    std::fs::write(&ca, "no pem here\n").unwrap();
    args[2] = "other".to_owned();
    let out = c.run("pass", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_code(&out, "certificate_untrusted", 2);
    assert!(text(&out).contains("no PEM certificate"), "{}", text(&out));
}

#[test]
fn a_server_without_starttls_is_capability_missing() {
    let server = MailServer::builder().without_tls().start().unwrap();
    let c = Case::new();
    c.init();
    let imap = format!("{}:{}", server.host(), server.imap_port());
    let pw = c.path("imap-pw");
    let out = c.run(
        "pass",
        &[
            "account",
            "add",
            "plain",
            "--imap",
            &imap,
            "--user",
            USER,
            "--password-file",
            s(&pw),
            "--starttls",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = c.run("pass", &["account", "test", "plain"]);
    assert_code(&out, "capability_missing", 2);
    assert!(text(&out).contains("STARTTLS"), "{}", text(&out));
}
