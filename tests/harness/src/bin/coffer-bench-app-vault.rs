//! Makes a vault whose index holds N messages, for the app's performance
//! benchmark (`scripts/bench/app-100k.sh`): the default Argon2id
//! parameters, one account, N genuine rows in INBOX with varied senders,
//! subjects, bodies and conversations, and the demo mailbox's originals in
//! the body cache for the first rows (so opening them is "a cached
//! message"). Then times unlocking it, to subtract Argon2id from the app's
//! unlock-to-inbox figure.
//!
//! Usage: `coffer-bench-app-vault VAULT PASSPHRASE N`. Prints one JSON line.

use std::time::Instant;

use anyhow::Context as _;
use coffer_core::SecretString;
use coffer_core::mime::read_message;
use coffer_engine::{KdfPolicy, NewAccount, Vault};
use coffer_harness::demo;
use coffer_store::{CopyPlace, IndexEntry, NewEntry, Trust};

const WORDS: [&str; 24] = [
    "budget", "invoice", "meeting", "contract", "travel", "report", "lunch", "review", "schedule",
    "project", "deadline", "proposal", "holiday", "server", "payment", "office", "training",
    "release", "customer", "draft", "agenda", "summary", "update", "question",
];
const NAMES: [&str; 8] = [
    "Maria Keller <maria@example.org>",
    "Jonas Berg <jonas@example.org>",
    "Amélie Durand <amelie@example.org>",
    "Priya Natarajan <priya@example.org>",
    "Tom O'Brien <tom@example.org>",
    "Billing <billing@example.com>",
    "Newsletter <news@example.net>",
    "山田 太郎 <yamada@example.org>",
];

/// A small deterministic generator (xorshift), so every run builds the same vault.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        let i = (self.next() % from.len() as u64) as usize;
        from.get(i).copied().unwrap_or_default()
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, pass, n] = args.as_slice() else {
        anyhow::bail!("usage: coffer-bench-app-vault VAULT PASSPHRASE N");
    };
    let n: u32 = n.parse().context("N")?;
    let passphrase = SecretString::from(pass.clone());
    let (vault, _recovery) = Vault::create(dir.as_ref(), &passphrase, KdfPolicy::default())?;
    vault.add_account(NewAccount {
        name: "bench".into(),
        imap_host: "127.0.0.1".into(),
        imap_port: 9,
        username: "alice".into(),
        password: SecretString::from("unused".to_owned()),
        security: coffer_engine::net::Security::InsecureLoopback,
        ca_file: None,
        smtp: None,
        smtp_starttls: false,
    })?;
    let originals: Vec<Vec<u8>> = demo::messages().into_iter().map(|m| m.bytes).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let base = 1_600_000_000i64;
    let mut uid = 0u32;
    while uid < n {
        let mut batch: Vec<(NewEntry, Option<Vec<u8>>)> = Vec::new();
        for _ in 0..5_000.min(n - uid) {
            uid += 1;
            // The newest rows (highest uid, latest date) are the demo's originals, cached.
            let cached = n - uid < originals.len() as u32;
            let (subject, from, body, raw) = if cached {
                let raw = originals
                    .get((n - uid) as usize)
                    .cloned()
                    .unwrap_or_default();
                let c = read_message(&raw);
                let from = c
                    .from
                    .first()
                    .map(|m| m.address.clone())
                    .unwrap_or_default();
                (c.subject.unwrap_or_default(), from, c.text, Some(raw))
            } else {
                let subject = format!(
                    "{} {} {}",
                    rng.pick(&WORDS),
                    rng.pick(&WORDS),
                    rng.next() % 1000
                );
                let body: Vec<&str> = (0..60).map(|_| rng.pick(&WORDS)).collect();
                (subject, rng.pick(&NAMES).to_owned(), body.join(" "), None)
            };
            let date = base + i64::from(uid) * 600;
            let thread = format!("t{}", uid / 3);
            batch.push((
                NewEntry {
                    entry: IndexEntry {
                        place: Some(CopyPlace {
                            account: "bench".into(),
                            folder: "INBOX".into(),
                            uid_validity: 1,
                            uid,
                        }),
                        seal_id: format!("{uid:064x}"),
                        trust: Some(Trust::Genuine),
                        flags: if rng.next().is_multiple_of(5) {
                            Vec::new()
                        } else {
                            vec!["\\Seen".into()]
                        },
                        internaldate: date,
                        size: 2_000,
                        date,
                        from,
                        to: "alice@example.test".into(),
                        subject,
                        message_id: format!("bench{uid}@example.org"),
                        thread,
                        ..IndexEntry::default()
                    },
                    body,
                },
                raw,
            ));
        }
        let rows: Vec<(&NewEntry, Option<&[u8]>)> =
            batch.iter().map(|(e, r)| (e, r.as_deref())).collect();
        vault.store().index_put_many(&rows)?;
    }
    let filled = started.elapsed().as_secs_f64();
    drop(vault);
    // Argon2id alone: the key file unwrapped, nothing else.
    let key_file = std::fs::read(std::path::Path::new(dir).join("vault.key"))?;
    let kdf = Instant::now();
    let master = coffer_core::KeyFile::parse(&key_file)?.unlock(&passphrase)?;
    let argon2 = kdf.elapsed().as_secs_f64();
    drop(master);
    // A whole unlock (Argon2id, then the database opened), twice: the first
    // after filling may pay for the write-ahead log the fill left.
    let mut unlocks = Vec::new();
    for _ in 0..2 {
        let unlock = Instant::now();
        let vault = Vault::unlock(dir.as_ref(), &passphrase, KdfPolicy::default())?;
        unlocks.push(unlock.elapsed().as_secs_f64());
        drop(vault);
    }
    println!(
        "{}",
        serde_json::json!({
            "messages": n, "fill_seconds": filled, "argon2_seconds": argon2,
            "unlock_seconds": unlocks,
        })
    );
    Ok(())
}
