//! The provider (or a sender) is the adversary: nothing escapes sealing by
//! looking like a seal, and seals found on the server are opened only once.
//! Mail arrives through real Postfix into real Dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use coffer_core::{Authenticity, InternalDate, SealInput, VaultKeys};
use coffer_engine::{KdfPolicy, SecretString, Vault};
use coffer_harness::{DOMAIN, MailServer, TestVault, USER};
use serde_json::Value;
use support::{code, text};

mod support;

fn coffer(t: &TestVault, args: &[&str]) -> Output {
    t.command(Path::new(env!("CARGO_BIN_EXE_coffer")))
        .args(args)
        .output()
        .unwrap()
}

fn seal_of(keys: &VaultKeys, original: &[u8]) -> Vec<u8> {
    coffer_core::seal(
        keys,
        &SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original,
        },
        &mut rand::rngs::OsRng,
    )
    .unwrap()
}

#[test]
fn messages_that_look_like_seals_are_sealed_and_open_back_exactly() {
    let t = TestVault::builder()
        .server(MailServer::builder().smtp())
        .account("mail")
        .build();
    let (server, vault) = (&t.server, &t.vault);
    let other = Vault::create(
        &t.path("other"),
        &SecretString::from("other".to_owned()),
        KdfPolicy::weak_for_tests(),
    )
    .unwrap()
    .0;
    let to = format!("{USER}@{DOMAIN}");
    let from = format!("mallory@{DOMAIN}");
    // 1. A sender adds Coffer's own headers to a plaintext message.
    let marked = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: wire the money\r\nX-Coffer-Seal: 1\r\n\
         X-Coffer-Seal-Id: {}\r\n\r\nplaintext that wants to stay plaintext\r\n",
        "ab".repeat(32)
    );
    // 2. A genuine seal's outer headers over a plaintext body.
    let genuine = seal_of(vault.keys(), b"Subject: real\r\n\r\nreal\r\n");
    let head_end = genuine.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut disguised = genuine[..head_end].to_vec();
    disguised
        .extend_from_slice(b"the board meets on Tuesday; plaintext under a seal's headers\r\n");
    // 3. A seal of a second vault.
    let foreign = seal_of(other.keys(), b"Subject: other vault\r\n\r\nnot yours\r\n");
    drop(other);
    for m in [marked.as_bytes(), &disguised, &foreign] {
        server.send_smtp(&from, &[&to], m).unwrap();
    }
    server
        .wait_for_messages(USER, "INBOX", 3, Duration::from_secs(30))
        .unwrap();
    // The foreign seal once more, delivered as it is (no Received header):
    // it keeps the template and opens to nothing with this vault's key.
    server.deliver(USER, "INBOX", &foreign).unwrap();
    let arrived = server.mailbox_contents(USER, "INBOX").unwrap();
    let originals: Vec<Vec<u8>> = arrived.iter().map(|m| m.bytes.clone()).collect();

    let out = coffer(&t, &["seal", "--json"]);
    assert_eq!(code(&out), 0, "every one of them is sealed: {}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["sealed"], 4, "{summary:#}");
    // Through Postfix each gains Received headers, so none even keeps the
    // seal template; the one delivered as it is cannot be opened. All four
    // are noted as not ours, and sealed.
    assert!(
        summary["not_ours"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["reason"].as_str().unwrap().contains("cannot open")),
        "{summary:#}"
    );
    assert_eq!(
        summary["not_ours"].as_array().unwrap().len(),
        4,
        "{summary:#}"
    );

    // The server now holds only this vault's verified seals, and each opens
    // back to one original, byte for byte.
    let now = server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(now.len(), 4);
    let mut opened: Vec<Vec<u8>> = now
        .iter()
        .map(|m| {
            let o = coffer_core::open(vault.keys(), &m.bytes).expect("a seal of this vault");
            assert_eq!(o.authenticity, Authenticity::Verified);
            o.original
        })
        .collect();
    opened.sort();
    let mut expected = originals.clone();
    expected.sort();
    assert_eq!(opened, expected);
    // A second run leaves them alone.
    let out = coffer(&t, &["seal", "--json"]);
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (again["sealed"].as_u64(), again["already_sealed"].as_u64()),
        (Some(0), Some(4)),
        "{again:#}"
    );
}

#[test]
fn seals_another_device_made_are_opened_once_then_trusted() {
    let t = TestVault::builder().account("mail").build();
    let (server, vault) = (&t.server, &t.vault);
    // Sealed elsewhere (another device of this vault): no journal here.
    for i in 0..20 {
        let original = format!("Subject: from the other device {i}\r\n\r\nbody {i}\r\n");
        server
            .deliver(USER, "INBOX", &seal_of(vault.keys(), original.as_bytes()))
            .unwrap();
    }

    let first: Value = serde_json::from_slice(&coffer(&t, &["seal", "--json"]).stdout).unwrap();
    assert_eq!(first["already_sealed"], 20, "{first:#}");
    assert_eq!(first["seals_opened"], 20, "{first:#}");
    // Opened once, recorded (and indexed): the next pass downloads no body.
    let second: Value = serde_json::from_slice(&coffer(&t, &["seal", "--json"]).stdout).unwrap();
    assert_eq!(second["already_sealed"], 20, "{second:#}");
    assert_eq!(second["seals_opened"], 0, "{second:#}");
    let heads = second["bytes_downloaded"].as_u64().unwrap();
    assert!(heads <= 20 * 8192, "only heads: {heads} bytes");
    let found: Value =
        serde_json::from_slice(&coffer(&t, &["search", "--json", "device"]).stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 20);
}
