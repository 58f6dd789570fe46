//! A benchmark mailbox: a real Dovecot on loopback loaded with a generated
//! corpus (optionally sealed), for `scripts/bench/*`.
//!
//! Usage: `coffer-bench-mailbox [MESSAGES] [MEGABYTES] [plain|sealed]`.
//! Prints one JSON line with how to connect, then runs until its standard
//! input closes.

use std::io::Read as _;
use std::time::Instant;

use anyhow::Context as _;
use coffer_core::seal::{InternalDate, SealInput};
use coffer_core::{MasterSecret, seal};
use coffer_harness::corpus::{CorpusMessage, generate};
use coffer_harness::{MailServer, PASSWORD, USER};

/// A second account on the same server, for IMAP-to-IMAP copies (mbsync).
const OTHER_USER: &str = "bob";
const OTHER_PASSWORD: &str = "bob-secret-pw";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args
        .get(1)
        .map_or(Ok(5000), |s| s.parse())
        .context("MESSAGES")?;
    let megabytes: u64 = args
        .get(2)
        .map_or(Ok(400), |s| s.parse())
        .context("MEGABYTES")?;
    let sealed = args.get(3).is_some_and(|s| s == "sealed");

    let started = Instant::now();
    let mut corpus = generate(count, megabytes * 1_000_000, 42);
    let plain_bytes: u64 = corpus.iter().map(|m| m.bytes.len() as u64).sum();
    if sealed {
        let mut rng = rand::rngs::OsRng;
        let keys = MasterSecret::generate(&mut rng).derive()?;
        for m in &mut corpus {
            let flags = if m.seen {
                vec!["\\Seen".to_owned()]
            } else {
                Vec::new()
            };
            let input = SealInput {
                folder: "INBOX",
                flags: &flags,
                internaldate: InternalDate::new(m.internaldate, 0)?,
                original: &m.bytes,
            };
            *m = CorpusMessage {
                bytes: seal(&keys, &input, &mut rng)?,
                ..m.clone()
            };
        }
    }
    let stored_bytes: u64 = corpus.iter().map(|m| m.bytes.len() as u64).sum();
    let server = MailServer::builder()
        .user(OTHER_USER, OTHER_PASSWORD)
        .start()?;
    server.load_inbox(USER, &corpus)?;
    drop(corpus);
    // Let Dovecot index the maildir now, so neither contender pays for it.
    std::process::Command::new("doveadm")
        .arg("-c")
        .arg(server.dir().join("dovecot.conf"))
        .args(["mailbox", "status", "-u", USER, "messages", "INBOX"])
        .output()
        .context("indexing with doveadm")?;
    let info = serde_json::json!({
        "host": server.host(),
        "imaps_port": server.imaps_port(),
        "ca_file": server.ca_file(),
        "user": USER,
        "password": PASSWORD,
        "other_user": OTHER_USER,
        "other_password": OTHER_PASSWORD,
        "messages": count,
        "original_bytes": plain_bytes,
        "stored_bytes": stored_bytes,
        "sealed": sealed,
        "setup_seconds": started.elapsed().as_secs_f64(),
    });
    println!("{info}");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}
