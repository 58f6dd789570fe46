//! `coffer audit` through the binary against a real Dovecot: exit statuses,
//! the JSON and HTML reports, and verification with a vault's keys.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Output;

use coffer_core::seal::{InternalDate, SealInput, testkit};
use coffer_harness::{PASSWORD, TestVault, USER};
use support::{code, s, text};

mod support;

/// The shared fixture: a server, and a vault for the keyed checks.
struct Setup(TestVault);

impl std::ops::Deref for Setup {
    type Target = TestVault;
    fn deref(&self) -> &TestVault {
        &self.0
    }
}

impl Setup {
    fn new() -> Self {
        Self(TestVault::builder().no_account().build())
    }

    fn audit(&self, extra: &[&str]) -> Output {
        let mut cmd = support::coffer();
        cmd.arg("audit")
            .arg("--imap")
            .arg(format!(
                "{}:{}",
                self.server.host(),
                self.server.imaps_port()
            ))
            .args(["--user", USER, "--password-file"])
            .arg(self.password_file())
            .arg("--ca-file")
            .arg(self.server.ca_file())
            .args(extra);
        cmd.output().unwrap()
    }

    fn seal_into(&self, keys: &coffer_core::VaultKeys, folder: &str, n: usize) {
        let mut rng = rand::rngs::OsRng;
        for i in 0..n {
            let original = format!("Subject: private {i}\r\n\r\nhello {i}\r\n").into_bytes();
            let input = SealInput {
                folder,
                flags: &[],
                internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
                original: &original,
            };
            let sealed = coffer_core::seal(keys, &input, &mut rng).unwrap();
            self.server.deliver(USER, folder, &sealed).unwrap();
        }
    }
}

#[test]
fn a_sealed_mailbox_exits_0_and_a_planted_plaintext_exits_1() {
    let setup = Setup::new();
    setup.seal_into(setup.vault.keys(), "INBOX", 3);
    let json = setup.path("report.json");
    let html = setup.path("report.html");
    let out = setup.audit(&["--json", s(&json), "--html", s(&html)]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Without the vault's key: well-formed, never "only ciphertext".
    let t = text(&out);
    assert!(
        t.contains("OK: well-formed seals, not proven genuine"),
        "{t}"
    );
    assert!(
        t.contains("3 well-formed seal(s) (structure sampled)"),
        "{t}"
    );
    assert!(!t.to_lowercase().contains("only ciphertext"), "{t}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["totals"]["sealed"], 3);
    assert_eq!(report["format"], "coffer-audit/3");
    assert_eq!(report["structure"], "sampled");
    assert_eq!(report["clean"], true);
    assert_eq!(report["only_ciphertext"], false);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("are well-formed seals (structure sampled)") && !page.contains("<script"),
        "{page}"
    );
    assert!(!page.to_lowercase().contains("only ciphertext"), "{page}");

    // With the vault's key, every seal opened: only ciphertext, in full too.
    let (dir, pass) = (setup.dir(), setup.pass_file());
    let out = setup.audit(&[
        "--vault",
        s(&dir),
        "--passphrase-file",
        s(&pass),
        "--full",
        "--json",
        s(&json),
        "--html",
        s(&html),
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("OK: only ciphertext"), "{t}");
    assert!(t.contains("(structure checked in full)"), "{t}");
    assert!(
        t.contains("genuine seals (opened with the vault's key): 3 of 3"),
        "{t}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["structure"], "full");
    assert_eq!(report["only_ciphertext"], true);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Only ciphertext: all 3 message(s) are genuine seals"),
        "{page}"
    );

    setup
        .server
        .deliver(
            USER,
            "INBOX",
            b"From: spy@example.test\r\nSubject: leaked\r\n\r\nplain\r\n",
        )
        .unwrap();
    let out = setup.audit(&["--json", s(&json)]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("INBOX uid 4: plaintext"),
        "{}",
        text(&out)
    );
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(
        !report.contains("leaked") && !report.contains("spy@"),
        "{report}"
    );
}

#[test]
fn with_the_vault_a_forgery_exits_1_and_is_named() {
    let setup = Setup::new();
    let dir = setup.dir();
    let v = &setup.vault;
    setup.seal_into(v.keys(), "INBOX", 2);
    let original = b"Subject: trust me\r\n\r\nforged\r\n";
    let forgery = testkit::forge(
        &[v.keys().recipient()],
        &SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original,
        },
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    setup.server.deliver(USER, "INBOX", &forgery).unwrap();
    // Without the vault the forgery is well-formed.
    assert_eq!(code(&setup.audit(&[])), 0);
    let pass = setup.pass_file();
    let out = setup.audit(&["--vault", s(&dir), "--passphrase-file", s(&pass)]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("genuine seals (opened with the vault's key): 2 of 3"),
        "{t}"
    );
    assert!(t.contains("INBOX uid 3: forged_seal"), "{t}");
}

#[test]
fn errors_have_a_clear_message_and_their_code() {
    let setup = Setup::new();
    std::fs::write(setup.password_file(), "wrong-password\n").unwrap();
    let out = setup.audit(&[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("[login_refused]"), "{}", text(&out));
    assert!(
        text(&out).contains("login failed for alice"),
        "{}",
        text(&out)
    );

    std::fs::write(setup.password_file(), format!("{PASSWORD}\n")).unwrap();
    let out = setup.audit(&["--folder", "Nope"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("[bad_request]"), "{}", text(&out));

    // A wrong vault passphrase is the same refusal as anywhere else.
    let dir = setup.dir();
    let bad = setup.path("bad-pass");
    std::fs::write(&bad, "not-it\n").unwrap();
    let out = setup.audit(&["--vault", s(&dir), "--passphrase-file", s(&bad)]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("[wrong_passphrase]"), "{}", text(&out));
}
