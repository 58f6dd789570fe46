//! `coffer rotate` against a real Dovecot: after the escrow recipient is
//! added, every seal is re-sealed to the new recipient set under a new key
//! generation — each original exactly once, its bytes, flags and
//! INTERNALDATE kept, the organisation's key now opening every one, the
//! audit with the vault clean, the index without duplicates; `seal` leaves
//! the new seals alone, and a second `rotate` has nothing to do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

use coffer_core::Authenticity;
use coffer_harness::{MailServer, PASSWORD, TestVault, USER};
use support::{code, s, text};

mod support;

fn coffer(t: &TestVault, args: &[&str]) -> Output {
    t.command(Path::new(env!("CARGO_BIN_EXE_coffer")))
        .env("COFFER_TEST_KDF", "weak")
        .args(args)
        .output()
        .unwrap()
}

/// `coffer audit` with the vault (the fixture's command carries it): only
/// genuine seals on the server.
fn assert_audit_clean(t: &TestVault) {
    let audit = coffer(
        t,
        &[
            "audit",
            "--imap",
            &format!("{}:{}", t.server.host(), t.server.imaps_port()),
            "--user",
            USER,
            "--password-file",
            s(&t.password_file()),
            "--ca-file",
            s(&t.server.ca_file()),
        ],
    );
    assert_eq!(code(&audit), 0, "{}", text(&audit));
}

#[test]
fn rotation_re_seals_every_message_once_to_the_new_recipient_set() {
    let t = TestVault::builder()
        .started(MailServer::start().unwrap())
        .account("mail")
        .build();
    t.server.create_folder(USER, "Work").unwrap();
    let mut originals = Vec::new();
    for (i, (folder, flags)) in [
        ("INBOX", vec!["\\Seen"]),
        ("INBOX", vec![]),
        ("INBOX", vec!["\\Flagged", "$Work"]),
        ("Work", vec!["\\Seen", "\\Answered"]),
    ]
    .into_iter()
    .enumerate()
    {
        let eml = format!(
            "From: a@example.org\r\nSubject: rotate {i}\r\nMessage-ID: <r{i}@example.org>\r\n\r\nbody {i}\r\n"
        )
        .into_bytes();
        t.server
            .append(
                USER,
                PASSWORD,
                folder,
                &eml,
                &flags,
                Some("03-Mar-2024 09:00:00 +0000"),
            )
            .unwrap();
        originals.push((folder, eml, flags));
    }
    let seal = coffer(&t, &["seal"]);
    assert_eq!(code(&seal), 0, "{}", text(&seal));

    let key = t.root().join("org.key");
    assert!(
        Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );
    let recipient = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&key)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let fp = coffer_core::escrow::fingerprint(&recipient.parse().unwrap());
    let on = coffer(&t, &["escrow", "set", &recipient, "--fingerprint", &fp]);
    assert_eq!(code(&on), 0, "{}", text(&on));

    let rotate = coffer(&t, &["rotate", "--json"]);
    assert_eq!(code(&rotate), 0, "{}", text(&rotate));
    assert!(text(&rotate).contains("\"sealed\": 3"), "{}", text(&rotate));

    // Each original exactly once, sealed to the vault and the firm, with its
    // bytes, flags and INTERNALDATE.
    let identity: coffer_core::Identity = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .parse()
        .unwrap();
    for folder in ["INBOX", "Work"] {
        let contents = t.server.mailbox_contents(USER, folder).unwrap();
        let want: Vec<&(&str, Vec<u8>, Vec<&str>)> =
            originals.iter().filter(|o| o.0 == folder).collect();
        assert_eq!(contents.len(), want.len(), "{folder}");
        for m in &contents {
            assert_eq!(coffer_core::inspect(&m.bytes).unwrap().recipient_count(), 2);
            let opened = coffer_core::open(t.vault.keys(), &m.bytes).unwrap();
            assert_eq!(opened.authenticity, Authenticity::Verified);
            let o = want
                .iter()
                .find(|o| o.1 == opened.original)
                .expect("an original");
            let mut got: Vec<&str> = m
                .flags
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "\\Recent")
                .collect();
            got.sort_unstable();
            let mut flags = o.2.clone();
            flags.sort_unstable();
            assert_eq!(got, flags, "flags of {:?}", o.1);
            assert_eq!(m.internaldate, 1_709_456_400);
            // The organisation's key opens it too.
            let by_firm = coffer_core::open_with_identity(&identity, &m.bytes).unwrap();
            assert_eq!(by_firm.original, opened.original);
        }
    }

    // The audit with the vault: only genuine seals.
    assert_audit_clean(&t);

    // The index lists each message once.
    let hits: serde_json::Value =
        serde_json::from_slice(&coffer(&t, &["search", "--json", "rotate"]).stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 4, "{hits:#}");

    // seal leaves the new seals alone; a second rotate has nothing to do.
    let again: serde_json::Value =
        serde_json::from_slice(&coffer(&t, &["seal", "--json"]).stdout).unwrap();
    assert_eq!(again["sealed"], 0, "{again:#}");
    assert_eq!(again["already_sealed"], 4, "{again:#}");
    let nothing = coffer(&t, &["rotate"]);
    assert_eq!(code(&nothing), 0, "{}", text(&nothing));
    assert!(
        text(&nothing).contains("nothing to rotate"),
        "{}",
        text(&nothing)
    );
}

/// `coffer rekey` (`rotate --new-identity`): a new identity whose recovery
/// key is shown, every seal re-sealed to it; the old identity opens none of
/// the seals now on the server; the passphrase still unlocks; the audit
/// with the vault is clean; and a switch interrupted after the database was
/// re-encrypted is finished by the next unlock.
#[test]
fn rekey_moves_every_seal_to_a_new_identity_the_old_one_opens_nothing() {
    let t = TestVault::builder()
        .started(MailServer::start().unwrap())
        .account("mail")
        .build();
    let mut originals = Vec::new();
    for i in 0..3 {
        let eml =
            format!("From: a@example.org\r\nSubject: rekey {i}\r\n\r\nbody {i}\r\n").into_bytes();
        t.server
            .append(USER, PASSWORD, "INBOX", &eml, &[], None)
            .unwrap();
        originals.push(eml);
    }
    assert_eq!(code(&coffer(&t, &["seal"])), 0);
    let old_identity = t.root().join("old.key");
    let export = coffer(&t, &["identity", "export", "-o", s(&old_identity)]);
    assert_eq!(code(&export), 0, "{}", text(&export));
    let old_key_file = std::fs::read(t.dir().join("vault.key")).unwrap();

    let rekey = coffer(&t, &["rekey"]);
    assert_eq!(code(&rekey), 0, "{}", text(&rekey));
    let said = text(&rekey);
    assert!(
        said.contains("Your recovery key — shown only now"),
        "{said}"
    );
    assert!(said.contains("The vault has a new identity"), "{said}");
    assert!(said.contains("finished"), "{said}");

    let new_identity = t.root().join("new.key");
    let export = coffer(&t, &["identity", "export", "-o", s(&new_identity)]);
    assert_eq!(code(&export), 0, "{}", text(&export));
    assert_ne!(
        std::fs::read(&old_identity).unwrap(),
        std::fs::read(&new_identity).unwrap()
    );
    let inbox = t.server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(inbox.len(), 3);
    for (i, m) in inbox.iter().enumerate() {
        let age_file = t.root().join(format!("seal{i}.age"));
        std::fs::write(&age_file, coffer_core::seal::payload(&m.bytes).unwrap()).unwrap();
        let by_old = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&old_identity)
            .arg(&age_file)
            .output()
            .unwrap();
        assert!(!by_old.status.success(), "the old identity opened a seal");
        let by_new = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&new_identity)
            .arg(&age_file)
            .output()
            .unwrap();
        assert!(by_new.status.success(), "{}", text(&by_new));
        assert!(
            originals
                .iter()
                .any(|o| by_new.stdout.windows(o.len()).any(|w| w == o.as_slice())),
            "the new identity's plaintext holds an original"
        );
    }
    assert_audit_clean(&t);
    let hits: serde_json::Value =
        serde_json::from_slice(&coffer(&t, &["search", "--json", "rekey"]).stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 3, "{hits:#}");
    // The old key file no longer opens the vault.
    let new_key_file = std::fs::read(t.dir().join("vault.key")).unwrap();
    assert_ne!(new_key_file, old_key_file);

    // A switch cut after the database was re-encrypted: the old key file in
    // place, the new one beside it. The next unlock finishes it.
    std::fs::write(t.dir().join("vault.key.next"), &new_key_file).unwrap();
    std::fs::write(t.dir().join("vault.key"), &old_key_file).unwrap();
    let status = coffer(&t, &["status"]);
    assert_eq!(code(&status), 0, "{}", text(&status));
    assert!(!t.dir().join("vault.key.next").exists());
    assert_eq!(
        std::fs::read(t.dir().join("vault.key")).unwrap(),
        new_key_file
    );
}
