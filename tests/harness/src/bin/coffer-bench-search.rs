//! Times search queries on a vault, for `scripts/bench/read-vs-notmuch.sh`.
//! The vault is unlocked once (Argon2id is paid per process, by design, not
//! per query); each query then runs REPEATS times through the same
//! `Vault::search` the CLI and the app call, with the CLI's default limit.
//!
//! Usage: `coffer-bench-search VAULT PASSPHRASE-FILE QUERIES-FILE REPEATS`.
//! Prints one line per query: the milliseconds of each run separated by
//! spaces, a tab, the number of hits, a tab, the query.

use std::time::Instant;

use anyhow::Context as _;
use coffer_core::SecretString;
use coffer_engine::{KdfPolicy, Vault};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, vault, pass, queries, repeats] = args.as_slice() else {
        anyhow::bail!("usage: coffer-bench-search VAULT PASSPHRASE-FILE QUERIES-FILE REPEATS");
    };
    let repeats: usize = repeats.parse().context("REPEATS")?;
    let passphrase = std::fs::read_to_string(pass).context("reading the passphrase file")?;
    let passphrase = SecretString::from(passphrase.trim_end_matches(['\r', '\n']).to_owned());
    let vault = Vault::unlock(vault.as_ref(), &passphrase, KdfPolicy::default())?;
    let queries = std::fs::read_to_string(queries).context("reading the queries")?;
    for query in queries.lines().filter(|q| !q.trim().is_empty()) {
        let mut times = Vec::with_capacity(repeats);
        let mut hits = 0;
        for _ in 0..repeats {
            let started = Instant::now();
            hits = vault.search(query, 50)?.len();
            times.push(format!("{:.3}", started.elapsed().as_secs_f64() * 1000.0));
        }
        println!("{}\t{hits}\t{query}", times.join(" "));
    }
    Ok(())
}
