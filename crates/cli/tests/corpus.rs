//! The odd-mail corpus (tests/corpus/odd) through seal, index, search, show
//! and export on a real Dovecot: no panic, nothing lost, every original back
//! byte for byte, and nothing that reaches the terminal unescaped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::Path;

use coffer_harness::{MailServer, TestVault, USER};
use serde_json::Value;
use support::{code, s, text};

mod support;

#[test]
fn odd_messages_are_indexed_searched_shown_and_exported_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/odd");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let server = MailServer::start().unwrap();
    for f in &files {
        server
            .deliver(USER, "INBOX", &std::fs::read(f).unwrap())
            .unwrap();
    }
    // Dovecot serves a NUL byte over IMAP as 0x80 (doveadm shows the file
    // as stored): what Coffer fetched, sealed and must give back is IMAP's.
    let originals: BTreeSet<Vec<u8>> = server
        .mailbox_contents(USER, "INBOX")
        .unwrap()
        .into_iter()
        .map(|m| {
            m.bytes
                .iter()
                .map(|&b| if b == 0 { 0x80 } else { b })
                .collect()
        })
        .collect();

    let t = TestVault::builder().started(server).account("mail").build();
    let run = |args: &[&str]| {
        let out = t
            .command(Path::new(env!("CARGO_BIN_EXE_coffer")))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
        // Nothing from a message drives the terminal (but --raw and --html
        // write the bytes asked for, exactly).
        if !args.contains(&"--raw") && !args.contains(&"--html") {
            assert!(!out.stdout.contains(&0x1b), "{args:?} printed an ESC");
        }
        out
    };
    run(&["seal"]);

    let all: Value =
        serde_json::from_slice(&run(&["search", "--json", "--limit", "100", "NOT zzzz"]).stdout)
            .unwrap();
    assert_eq!(all.as_array().unwrap().len(), originals.len(), "{all:#}");
    for hit in all.as_array().unwrap() {
        let id = hit["id"].to_string();
        run(&["show", &id]);
        run(&["show", &id, "--headers"]);
        run(&["show", &id, "--json"]);
        let raw = run(&["show", &id, "--raw"]).stdout;
        assert!(
            originals.contains(&raw),
            "message {id} does not come back exactly: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(150)])
        );
    }
    // Each one's word is found where the message could be read at all.
    let mut found = 0;
    for n in [
        "two", "three", "four", "five", "seven", "eight", "ten", "twelve", "thirteen", "fourteen",
        "fifteen",
    ] {
        let hits: Value =
            serde_json::from_slice(&run(&["search", "--json", &format!("\"oddity-{n}\"")]).stdout)
                .unwrap();
        found += usize::from(!hits.as_array().unwrap().is_empty());
    }
    assert!(found >= 10, "only {found} of 11 words found");

    let maildir = t.path("out");
    run(&["export", "--maildir", s(&maildir)]);
    let mut exported = BTreeSet::new();
    for e in std::fs::read_dir(maildir.join("mail/INBOX/cur")).unwrap() {
        exported.insert(std::fs::read(e.unwrap().path()).unwrap());
    }
    assert_eq!(exported, originals);
}
