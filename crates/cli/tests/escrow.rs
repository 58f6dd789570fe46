//! The organisation escrow recipient, through the binary against a real
//! Dovecot and the stock `age` tool: a fingerprint that does not match is
//! refused; with escrow on, `coffer status` says so and every new seal goes
//! to the vault and the organisation (the same recipient set for each);
//! the firm opens a seal, and exports the whole mailbox, with its key alone
//! and no vault (`coffer escrow open|export`), and the stock `age` decrypts
//! the same payload; a seal made before escrow was on is not the firm's to
//! open, and says so; after `escrow remove` new seals go to the vault alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coffer_harness::{MailServer, PASSWORD, TestVault, USER};
use support::{code, s, text};

mod support;

struct Place {
    t: TestVault,
    org_key: PathBuf,
    org_recipient: String,
}

impl Place {
    fn new() -> Self {
        let t = TestVault::builder()
            .started(MailServer::start().unwrap())
            .account("mail")
            .build();
        let org_key = t.root().join("org.key");
        let made = Command::new("age-keygen")
            .arg("-o")
            .arg(&org_key)
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", text(&made));
        let public = Command::new("age-keygen")
            .arg("-y")
            .arg(&org_key)
            .output()
            .unwrap();
        let org_recipient = String::from_utf8(public.stdout).unwrap().trim().to_owned();
        Self {
            t,
            org_key,
            org_recipient,
        }
    }

    fn coffer(&self, args: &[&str]) -> Output {
        self.t
            .command(Path::new(env!("CARGO_BIN_EXE_coffer")))
            .env("COFFER_TEST_KDF", "weak")
            .args(args)
            .output()
            .unwrap()
    }

    /// `coffer` with no vault at all: the firm's side.
    fn firm(&self, args: &[&str]) -> Output {
        support::coffer()
            .arg("--vault")
            .arg(self.t.root().join("no-vault-here"))
            .args(args)
            .output()
            .unwrap()
    }

    fn put(&self, n: usize) -> Vec<u8> {
        let eml = format!(
            "From: a@example.org\r\nTo: alice@example.test\r\nSubject: escrow {n}\r\n\
             Message-ID: <escrow{n}@example.org>\r\n\r\nthe firm may read {n}\r\n"
        )
        .into_bytes();
        self.t
            .server
            .append(USER, PASSWORD, "INBOX", &eml, &[], None)
            .unwrap();
        eml
    }

    fn seal(&self) {
        let out = self.coffer(&["seal"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }

    /// The sealed messages in INBOX, each with its recipient count.
    fn seals(&self) -> Vec<(Vec<u8>, usize)> {
        self.t
            .server
            .mailbox_contents(USER, "INBOX")
            .unwrap()
            .into_iter()
            .map(|m| {
                let info = coffer_core::inspect(&m.bytes).unwrap();
                (m.bytes, info.recipient_count())
            })
            .collect()
    }
}

#[test]
fn escrow_seals_to_the_firm_which_opens_and_exports_with_its_key_alone() {
    let p = Place::new();
    let before = p.put(0);
    p.seal();

    // A fingerprint that does not match is refused; nothing changes.
    let wrong = p.coffer(&[
        "escrow",
        "set",
        &p.org_recipient,
        "--fingerprint",
        "0000 0000 0000 0000 0000 0000 0000 0000",
    ]);
    assert_eq!(code(&wrong), 1, "{}", text(&wrong));
    assert!(text(&wrong).contains("fingerprint is"), "{}", text(&wrong));
    let status = text(&p.coffer(&["status"]));
    assert!(status.contains("escrow:    off"), "{status}");

    let recipient: coffer_core::Recipient = p.org_recipient.parse().unwrap();
    let fingerprint = coffer_core::escrow::fingerprint(&recipient);
    let on = p.coffer(&[
        "escrow",
        "set",
        &p.org_recipient,
        "--fingerprint",
        &fingerprint,
    ]);
    assert_eq!(code(&on), 0, "{}", text(&on));
    let status = text(&p.coffer(&["status"]));
    assert!(status.contains("escrow:    ON"), "{status}");
    assert!(status.contains(&fingerprint), "{status}");
    let json: serde_json::Value =
        serde_json::from_slice(&p.coffer(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        json["unlocked"]["escrow"]["fingerprint"],
        fingerprint.as_str()
    );

    let originals: Vec<Vec<u8>> = (1..=3).map(|n| p.put(n)).collect();
    p.seal();
    let seals = p.seals();
    assert_eq!(seals.len(), 4);
    // The seal from before escrow went to the vault alone; every new one to
    // the vault and the firm: one recipient set for all of them.
    let counts: Vec<usize> = seals.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts.iter().filter(|n| **n == 1).count(), 1, "{counts:?}");
    assert_eq!(counts.iter().filter(|n| **n == 2).count(), 3, "{counts:?}");

    // The firm opens one seal with its key, no vault.
    let dir = p.t.root().join("seals");
    std::fs::create_dir_all(&dir).unwrap();
    let mut opened_one = false;
    for (i, (bytes, n)) in seals.iter().enumerate() {
        let file = dir.join(format!("seal{i}.eml"));
        std::fs::write(&file, bytes).unwrap();
        let out = p.firm(&["escrow", "open", "--identity", s(&p.org_key), s(&file)]);
        if *n == 1 {
            assert_eq!(code(&out), 1, "{}", text(&out));
            assert!(
                text(&out).contains("not sealed to the organisation's key"),
                "{}",
                text(&out)
            );
            continue;
        }
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(originals.contains(&out.stdout), "{}", text(&out));
        assert!(text(&out).contains("cannot check a seal's authenticity"));
        opened_one = true;

        // The stock age tool opens the same payload with the same key.
        let age_file = dir.join(format!("seal{i}.age"));
        std::fs::write(&age_file, coffer_core::seal::payload(bytes).unwrap()).unwrap();
        let age = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&p.org_key)
            .arg(&age_file)
            .output()
            .unwrap();
        assert!(age.status.success(), "{}", text(&age));
        assert!(
            age.stdout
                .windows(out.stdout.len())
                .any(|w| w == out.stdout.as_slice()),
            "age's plaintext holds the original"
        );
    }
    assert!(opened_one);
    assert!(!originals.contains(&before));

    // The whole mailbox, with the firm's key alone.
    let maildir = p.t.root().join("firm-export");
    let ca = p.t.server.ca_file();
    let export = p.firm(&[
        "escrow",
        "export",
        "--identity",
        s(&p.org_key),
        "--imap",
        &format!("{}:{}", p.t.server.host(), p.t.server.imaps_port()),
        "--user",
        USER,
        "--password-file",
        s(&p.t.password_file()),
        "--ca-file",
        s(&ca),
        "--maildir",
        s(&maildir),
    ]);
    assert_eq!(code(&export), 0, "{}", text(&export));
    assert!(
        text(&export).contains("opened 3 sealed message(s)"),
        "{}",
        text(&export)
    );
    assert!(
        text(&export).contains("1 seal(s) the key does not open"),
        "{}",
        text(&export)
    );
    let cur = maildir.join(USER).join("INBOX").join("cur");
    let mut written: Vec<Vec<u8>> = std::fs::read_dir(&cur)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    written.sort();
    let mut want = originals.clone();
    want.sort();
    assert_eq!(written, want);

    // Escrow off: new seals go to the vault alone.
    let off = p.coffer(&["escrow", "remove"]);
    assert_eq!(code(&off), 0, "{}", text(&off));
    p.put(9);
    p.seal();
    let counts: Vec<usize> = p.seals().iter().map(|(_, n)| *n).collect();
    assert_eq!(counts.iter().filter(|n| **n == 1).count(), 2, "{counts:?}");
}
