//! Throughput of seal/open against raw age, and the cost of unlocking a key file.
//!
//! Run with `cargo bench -p coffer-core --bench seal` (release profile). Prints
//! MB/s for 10 KB, 100 KB and 10 MB messages, and the unlock time with
//! `KdfParams::default()`. `COFFER_BENCH_CALIBRATE=1` also times a ladder of
//! Argon2id parameters, to re-calibrate the default on a new machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use coffer_core::seal::{self, InternalDate, SealInput};
use coffer_core::{KdfParams, KeyFile, MasterSecret, SecretString};
use rand::rngs::OsRng;

/// Runs `f` repeatedly for about `budget` and returns the median duration.
fn median(budget: Duration, min_runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < min_runs || start.elapsed() < budget {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
        if times.len() >= 10_000 {
            break;
        }
    }
    times.sort();
    times[times.len() / 2]
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn age_encrypt(recipient: &age::x25519::Recipient, data: &[u8]) -> Vec<u8> {
    let enc =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
    let mut out = Vec::with_capacity(data.len() + 1024);
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap();
    out
}

fn age_decrypt(identity: &age::x25519::Identity, data: &[u8]) -> Vec<u8> {
    let dec = age::Decryptor::new_buffered(data).unwrap();
    let mut r = dec
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .unwrap();
    let mut out = Vec::with_capacity(data.len());
    r.read_to_end(&mut out).unwrap();
    out
}

fn throughput() {
    let master = MasterSecret::generate(&mut OsRng);
    let keys = master.derive().unwrap();
    let flags = vec!["\\Seen".to_string()];
    println!("size      age enc   seal      age dec   open      (MB/s of original bytes, median)");
    for (label, size) in [
        ("10 KB", 10_000usize),
        ("100 KB", 100_000),
        ("10 MB", 10_000_000),
    ] {
        let original: Vec<u8> = (0..size)
            .map(|i| (i.wrapping_mul(31) % 251) as u8)
            .collect();
        let input = SealInput {
            folder: "INBOX",
            flags: &flags,
            internaldate: InternalDate::new(1_751_364_000, 0).unwrap(),
            original: &original,
        };
        let budget = Duration::from_millis(1500);
        let recipient = keys.recipient();
        let enc = median(budget, 5, || {
            black_box(age_encrypt(&recipient, &original));
        });
        let sealing = median(budget, 5, || {
            black_box(seal::seal(&keys, &input, &mut OsRng).unwrap());
        });
        let age_file = age_encrypt(&recipient, &original);
        let dec = median(budget, 5, || {
            black_box(age_decrypt(keys.identity(), &age_file));
        });
        let sealed = seal::seal(&keys, &input, &mut OsRng).unwrap();
        let opening = median(budget, 5, || {
            black_box(seal::open(&keys, &sealed).unwrap());
        });
        println!(
            "{label:<9} {:<9.0} {:<9.0} {:<9.0} {:<9.0} (sealed {} bytes)",
            mbps(size, enc),
            mbps(size, sealing),
            mbps(size, dec),
            mbps(size, opening),
            sealed.len()
        );
    }
}

fn unlock(params: KdfParams, runs: usize) -> Duration {
    let master = MasterSecret::generate(&mut OsRng);
    let pass = SecretString::from("benchmark passphrase".to_owned());
    let file = KeyFile::create(&master, &pass, params, &mut OsRng).unwrap();
    let bytes = file.to_bytes();
    median(Duration::ZERO, runs, || {
        let parsed = KeyFile::parse(&bytes).unwrap();
        black_box(parsed.unlock(&pass).unwrap());
    })
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    throughput();
    let d = KdfParams::default();
    let t = unlock(d, 5);
    println!(
        "unlock with KdfParams::default() (m={} MiB, t={}, p={}): {:.0} ms (median of 5)",
        d.m_kib() / 1024,
        d.t(),
        d.p(),
        t.as_secs_f64() * 1e3
    );
    if std::env::var_os("COFFER_BENCH_CALIBRATE").is_some() {
        for (m_mib, t) in [
            (64, 3),
            (128, 3),
            (192, 3),
            (256, 3),
            (256, 4),
            (384, 3),
            (512, 3),
        ] {
            let params = KdfParams::new(m_mib * 1024, t, 4).unwrap();
            let d = unlock(params, 3);
            println!("  m={m_mib} MiB t={t} p=4: {:.0} ms", d.as_secs_f64() * 1e3);
        }
    }
}
